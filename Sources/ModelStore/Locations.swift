import Foundation

/// Where Demixer keeps its files, following the Freedesktop base directories:
/// weights in `$XDG_CACHE_HOME/demixer/weights`, separated stems in
/// `$XDG_CACHE_HOME/demixer/stems` (`~/.cache` when the variable is unset or not an
/// absolute path, as the specification says). Built from an environment dictionary
/// so tests can point it anywhere.
public struct Locations: Sendable, Equatable {
    /// `$XDG_CACHE_HOME/demixer`.
    public var cacheDirectory: URL
    /// Installed model files.
    public var weightsDirectory: URL { cacheDirectory.appendingPathComponent("weights", isDirectory: true) }
    /// The stem cache (see the StemCache module).
    public var stemsDirectory: URL { cacheDirectory.appendingPathComponent("stems", isDirectory: true) }
    /// `$DEMIXER_WEIGHTS_URL`: a mirror to download model files from instead of the
    /// manifest's base URL (an `http(s)://` or `file://` directory URL).
    public var weightsURLOverride: URL?

    /// Reads `XDG_CACHE_HOME`, `HOME` and `DEMIXER_WEIGHTS_URL` from `environment`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let cacheHome: URL
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            cacheHome = URL(fileURLWithPath: xdg, isDirectory: true)
        } else {
            let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
            cacheHome = URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent(".cache", isDirectory: true)
        }
        cacheDirectory = cacheHome.appendingPathComponent("demixer", isDirectory: true)
        weightsURLOverride = environment["DEMIXER_WEIGHTS_URL"].flatMap { $0.isEmpty ? nil : URL(string: $0) }
    }
}
