import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// How one run of `demixer` ended.
struct Outcome {
    /// The exit status when the process exited, else nil.
    var exitStatus: Int32?
    /// The signal that ended the process, if one did.
    var signal: Int32?
    var timedOut: Bool
    var output: String
    var errors: String
    var seconds: Double

    var summary: String {
        if timedOut { return "timed out after \(String(format: "%.0f", seconds)) s (killed)" }
        if let signal { return "killed by signal \(signal)" }
        return "exit \(exitStatus ?? -1)"
    }
}

/// Runs `arguments` in `directory` under a virtual-memory cap (`ulimit -v`, set by a shell
/// that then `exec`s the program, so the status seen here is the program's own) and kills
/// it after `timeout` seconds. stdout and stderr are captured (the last 64 KB of each).
func runCapped(
    _ arguments: [String], directory: String, environment: [String: String], memoryMB: Int, timeout: Double
) throws -> Outcome {
    let script = "cd \"$1\" || exit 120; ulimit -v \"$2\" || exit 121; shift 2; exec \"$@\""
    let argv = ["/bin/sh", "-c", script, "sh", directory, String(memoryMB * 1024)] + arguments
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    var outPipe: [Int32] = [-1, -1]
    var errPipe: [Int32] = [-1, -1]
    guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else { throw POSIXError(.EMFILE) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
    posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
    for fd in outPipe + errPipe { posix_spawn_file_actions_addclose(&actions, fd) }
    let cArgs = argv.map { strdup($0) } + [nil]
    let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        for p in cArgs { free(p) }
        for p in cEnv { free(p) }
    }
    let started = Date()
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, "/bin/sh", &actions, nil, cArgs, cEnv)
    close(outPipe[1])
    close(errPipe[1])
    guard spawned == 0 else {
        close(outPipe[0])
        close(errPipe[0])
        throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .ENOENT)
    }
    let group = DispatchGroup()
    let out = TailBuffer()
    let err = TailBuffer()
    for (fd, buffer) in [(outPipe[0], out), (errPipe[0], err)] {
        DispatchQueue.global().async(group: group) {
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = read(fd, &chunk, chunk.count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                buffer.append(chunk[0..<n])
            }
            close(fd)
        }
    }
    var status: Int32 = 0
    var timedOut = false
    while true {
        let r = waitpid(pid, &status, WNOHANG)
        if r == pid { break }
        if r == -1 && errno != EINTR { break }
        if Date().timeIntervalSince(started) > timeout {
            timedOut = true
            kill(pid, SIGKILL)
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            break
        }
        usleep(10_000)
    }
    group.wait()
    let seconds = Date().timeIntervalSince(started)
    let signalled = (status & 0x7f) != 0
    return Outcome(
        exitStatus: signalled ? nil : (status >> 8) & 0xff, signal: signalled ? status & 0x7f : nil,
        timedOut: timedOut, output: out.text, errors: err.text, seconds: seconds)
}

private final class TailBuffer: @unchecked Sendable {
    private var data: [UInt8] = []
    private let lock = NSLock()
    func append(_ bytes: ArraySlice<UInt8>) {
        lock.lock()
        data.append(contentsOf: bytes)
        if data.count > 131_072 { data.removeFirst(data.count - 65536) }
        lock.unlock()
    }
    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: data.suffix(65536), as: UTF8.self)
    }
}

/// A folder for one case: the inputs, an isolated home/cache/config/tmp, and the output
/// folder nested a few levels deep so that a write escaping it by `..` still lands inside
/// the folder, where the snapshot sees it.
final class Sandbox {
    let root: URL
    var inputs: URL { root.appendingPathComponent("in") }
    var out: URL { root.appendingPathComponent("w/w/w/w/w/out") }
    var cache: URL { root.appendingPathComponent("cache") }
    var config: URL { root.appendingPathComponent("config") }

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("demixer-fuzz-\(UUID().uuidString)")
        for folder in [inputs, out, cache, config, root.appendingPathComponent("home"), root.appendingPathComponent("tmp")] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    func input(_ name: String) -> String { inputs.appendingPathComponent(name).path }

    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CACHE_HOME"] = cache.path
        environment["XDG_CONFIG_HOME"] = config.path
        environment["HOME"] = root.appendingPathComponent("home").path
        environment["TMPDIR"] = root.appendingPathComponent("tmp").path
        return environment
    }

    /// Every path under the root (relative), with its kind, size and modification time,
    /// leaving out the output folder and the cache and config folders, where writing is allowed.
    func snapshot() -> [String: String] {
        var entries: [String: String] = [:]
        let allowed = [out.path, cache.path, config.path]
        func walk(_ url: URL) {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: url.path) else { return }
            for name in names {
                let child = url.appendingPathComponent(name)
                if allowed.contains(child.path) { continue }
                var info = stat()
                guard lstat(child.path, &info) == 0 else { continue }
                let relative = String(child.path.dropFirst(root.path.count + 1))
                let kind = UInt32(info.st_mode) & 0o170000
                entries[relative] = "\(kind) \(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
                if kind == 0o040000 { walk(child) }
            }
        }
        walk(root)
        return entries
    }

    /// Hidden staged-write temporaries (`.NAME.XXXXXX.tmp`) anywhere under the root.
    func stagedTemporaries() -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: root.path) else { return [] }
        return walker.compactMap { $0 as? String }.filter {
            let name = ($0 as NSString).lastPathComponent
            return name.hasPrefix(".") && name.hasSuffix(".tmp")
        }
    }

    /// Regular files under the output folder (relative paths).
    func outputs() -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: out.path) else { return [] }
        return walker.compactMap { $0 as? String }.filter {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: out.appendingPathComponent($0).path, isDirectory: &isDirectory)
                && !isDirectory.boolValue
        }.sorted()
    }
}
