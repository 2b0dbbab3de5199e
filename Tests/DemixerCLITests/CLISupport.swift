import Foundation
import Testing

/// Runs the built `demixer` executable and captures what it prints.
struct CLIRun {
    let status: Int32
    let output: String
    let errors: String
}

enum CLI {
    /// `.build/<config>/demixer`, next to the test bundle.
    static let executable: URL = {
        var url = Bundle.main.bundleURL
        if url.pathExtension == "xctest" { url = url.deletingLastPathComponent() }
        return url.appendingPathComponent("demixer")
    }()

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static let smallModel = repository.appendingPathComponent(
        "Tests/DemucsTests/Fixtures/small_forward/5f0a1e01-754fa305.th")

    /// Cache and config folders of this test run, so that tests never touch the user's;
    /// removed when the test process exits.
    static let home: URL = {
        atexit { try? FileManager.default.removeItem(at: homePath) }
        return homePath
    }()

    private static var homePath: URL {
        FileManager.default.temporaryDirectory.appendingPathComponent(
            "demixer-cli-home-\(ProcessInfo.processInfo.processIdentifier)")
    }

    static let isolatedEnvironment = [
        "XDG_CACHE_HOME": home.appendingPathComponent("cache").path,
        "XDG_CONFIG_HOME": home.appendingPathComponent("config").path,
    ]

    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> CLIRun {
        let result = try spawn([executable.path] + arguments, environment: merged(environment))
        return CLIRun(status: result.status, output: result.output, errors: result.errors)
    }

    /// Starts `demixer` in the background, its output going to `log`.
    static func start(_ arguments: [String], environment: [String: String] = [:], log: String) throws -> BackgroundProcess {
        try BackgroundProcess([executable.path] + arguments, environment: merged(environment), log: log)
    }

    /// This process's environment with the isolated folders and `extra` on top.
    static func merged(_ extra: [String: String]) -> [String: String] {
        ProcessInfo.processInfo.environment.merging(isolatedEnvironment) { $1 }.merging(extra) { $1 }
    }
}

/// A fresh temporary directory, removed when the value goes away.
final class TemporaryDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("demixer-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}
