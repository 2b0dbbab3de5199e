import DemixerCore
import Foundation
import StemCache
import TOMLKit

/// Settings from `$XDG_CONFIG_HOME/demixer/config.toml` (default `~/.config/demixer`);
/// command-line options win over them.
struct Config: Decodable, Equatable {
    /// ALSA playback device.
    var device: String = "default"
    /// Theme name or path.
    var theme: String = "default"
    /// Model used when `-n` is not given.
    var model: String = "htdemucs"
    /// Segment overlap used when `--overlap` is not given.
    var overlap: Double = 0.25
    /// Seconds moved by ←/→ (Shift moves six times as far).
    var seekStep: Double = 5
    /// Whether the player's transposition keeps the formants (voices keep their character).
    var preserveFormants = false
    /// The most bytes the stem cache may take (`[cache] max_size`).
    var cacheMaxSize = StemCache.defaultMaxSize

    enum CodingKeys: String, CodingKey {
        case device, theme, model, overlap, cache
        case seekStep = "seek_step"
        case preserveFormants = "preserve_formants"
    }

    enum CacheKeys: String, CodingKey {
        case maxSize = "max_size"
    }

    init() {}

    init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = Config()
        device = try values.decodeIfPresent(String.self, forKey: .device) ?? defaults.device
        theme = try values.decodeIfPresent(String.self, forKey: .theme) ?? defaults.theme
        model = try values.decodeIfPresent(String.self, forKey: .model) ?? defaults.model
        overlap = try values.decodeIfPresent(Double.self, forKey: .overlap) ?? defaults.overlap
        seekStep = try values.decodeIfPresent(Double.self, forKey: .seekStep) ?? defaults.seekStep
        preserveFormants = try values.decodeIfPresent(Bool.self, forKey: .preserveFormants) ?? defaults.preserveFormants
        if values.contains(.cache) {
            let cache = try values.nestedContainer(keyedBy: CacheKeys.self, forKey: .cache)
            if cache.contains(.maxSize) {
                if let text = try? cache.decode(String.self, forKey: .maxSize) {
                    guard let size = Self.byteCount(text) else { throw InvalidSize(value: "\"\(text)\"") }
                    cacheMaxSize = size
                } else if let bytes = try? cache.decode(Int.self, forKey: .maxSize) {
                    cacheMaxSize = bytes
                } else {
                    throw InvalidSize(value: "this value")
                }
            }
        }
    }

    /// A `[cache] max_size` that does not spell a size.
    struct InvalidSize: Error, CustomStringConvertible {
        let value: String
        var description: String {
            "[cache] max_size: \(value) is not a size such as 4000000000, \"4G\", \"500M\" or \"4 GB\""
        }
    }

    /// The smallest cap `[cache] max_size` accepts: less would not hold a song.
    static let smallestCacheSize = 1_000_000

    /// Bytes in a size such as "123456", "500M", "4G", "4 GB" or "500 MiB": a bare
    /// number is bytes, K/M/G/T and KiB…TiB are powers of 1024 (as `du` and `sort -S`
    /// read them), KB…TB powers of 1000. Nil for anything else.
    static func byteCount(_ text: String) -> Int? {
        let units: [String: Double] = [
            "": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
            "K": 0x1p10, "M": 0x1p20, "G": 0x1p30, "T": 0x1p40,
            "KIB": 0x1p10, "MIB": 0x1p20, "GIB": 0x1p30, "TIB": 0x1p40,
        ]
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let number = trimmed.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        guard let value = Double(number),
            let unit = units[trimmed.dropFirst(number.count).trimmingCharacters(in: .whitespaces).uppercased()],
            (value * unit).isFinite, value * unit < 0x1p62
        else { return nil }
        return Int(value * unit)
    }

    /// The config file's location under the Freedesktop base directories.
    static func fileURL(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: environment["HOME"] ?? NSHomeDirectory()).appendingPathComponent(".config")
        return base.appendingPathComponent("demixer/config.toml")
    }

    /// Reads the config file; a missing file gives the defaults, a broken one a
    /// `Failure` naming the file and the problem.
    static func load(from url: URL = fileURL()) throws -> Config {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return Config() }
        do {
            let config = try TOMLDecoder().decode(Config.self, from: text)
            let problems = [
                SettingRange.overlap.problem("overlap", config.overlap),
                SettingRange.seekStep.problem("seek_step", config.seekStep),
                config.cacheMaxSize < smallestCacheSize
                    ? "[cache] max_size must be at least \(smallestCacheSize) bytes (1 MB), not \(config.cacheMaxSize)" : nil,
            ]
            if let problem = problems.compactMap({ $0 }).first {
                throw Failure(message: "\(url.path): \(problem)", status: ExitStatus.usage)
            }
            return config
        } catch let failure as Failure {
            throw failure
        } catch let error as TOMLParseError {
            throw Failure(
                message: "\(url.path):\(error.source.begin.line): not valid TOML", status: ExitStatus.usage)
        } catch {
            throw Failure(message: "\(url.path): \(error)", status: ExitStatus.usage)
        }
    }
}
