import DemixerCore
import Foundation
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

    enum CodingKeys: String, CodingKey {
        case device, theme, model, overlap
        case seekStep = "seek_step"
        case preserveFormants = "preserve_formants"
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
