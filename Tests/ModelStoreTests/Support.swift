import Foundation
@testable import ModelStore

/// A fresh directory under the system temporary directory, removed by `remove()` or,
/// failing that, when the last reference to it goes away.
final class TemporaryDirectory: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("ModelStoreTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { remove() }

    func remove() { try? FileManager.default.removeItem(at: url) }

    /// A store whose cache directory lives here.
    func store(_ manifest: ModelManifest) -> ModelStore {
        ModelStore(manifest: manifest, locations: Locations(environment: ["XDG_CACHE_HOME": url.appendingPathComponent("cache").path]))
    }

    /// Names in `directory`, hidden ones included, sorted.
    func contents(of directory: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
    }
}

/// Writes `count` pseudo-random bytes to `directory` under a name carrying their
/// sha256 prefix (`<tag>-<sha8>.th`, as demucs names checkpoints) and returns the
/// manifest entry for it.
func makeFakeModelFile(in directory: URL, tag: String, count: Int = 1_500_000) throws -> ModelManifest.File {
    var generator = SystemRandomNumberGenerator()
    let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    let scratch = directory.appendingPathComponent("\(tag).unnamed")
    try Data(bytes).write(to: scratch)
    let prefix = String(try sha256Hex(of: scratch).prefix(8))
    let file = ModelManifest.File(name: "\(tag)-\(prefix).th", sha256Prefix: prefix)
    try FileManager.default.moveItem(at: scratch, to: directory.appendingPathComponent(file.name))
    return file
}

/// A one-model manifest ("fake") over `files`, served from `baseURL`.
func fakeManifest(_ files: [ModelManifest.File], baseURL: URL) throws -> ModelManifest {
    try ModelManifest(
        baseURL: baseURL, origin: "test files",
        models: [.init(name: "fake", description: "Fake files", sources: ["drums", "bass", "other", "vocals"], files: files)])
}

/// Checkpoints from the Demucs parity fixtures that really load as HTDemucs.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("DemucsTests/Fixtures")
    static let single = root.appendingPathComponent("small_forward/5f0a1e01-754fa305.th")
    static let bag = [
        root.appendingPathComponent("small_bag/ba90000a-80b084ba.th"),
        root.appendingPathComponent("small_bag/ba90000b-2583d4f5.th"),
    ]
    static let sources = ["drums", "bass", "other", "vocals"]

    /// The manifest entry of a fixture file, whose name carries its checksum.
    static func entry(_ url: URL) -> ModelManifest.File {
        let name = url.lastPathComponent
        return ModelManifest.File(name: name, sha256Prefix: String(name.dropLast(3).suffix(8)))
    }
}

/// `python3 -m http.server` on 127.0.0.1 at a port the OS picks, serving `directory`.
final class LocalHTTPServer {
    let process = Process()
    let baseURL: URL

    init(serving directory: URL) throws {
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", directory.path]
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The server announces "Serving HTTP on 127.0.0.1 port N ..."; EOF means it died.
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let words = String(decoding: line, as: UTF8.self).split(separator: " ")
        guard let index = words.firstIndex(of: "port"), index + 1 < words.count, let port = Int(words[index + 1]) else {
            kill(process.processIdentifier, SIGKILL)
            _ = waitpid(process.processIdentifier, nil, 0)
            throw ServerDidNotStart(output: String(decoding: line, as: UTF8.self))
        }
        baseURL = URL(string: "http://127.0.0.1:\(port)/")!
    }

    /// SIGKILL, because the test runner's threads block SIGTERM and a child
    /// inherits that mask. Reaped with `waitpid`: `Process.waitUntilExit` can miss the
    /// exit when many tests spawn processes at once.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        _ = waitpid(process.processIdentifier, nil, 0)
    }

    struct ServerDidNotStart: Error, CustomStringConvertible {
        let output: String
        var description: String { "python3 -m http.server did not start: '\(output)'" }
    }
}

/// Collects progress reports from any thread.
final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var reports: [FetchProgress] = []

    func record(_ progress: FetchProgress) { lock.withLock { reports.append(progress) } }
    var all: [FetchProgress] { lock.withLock { reports } }
}
