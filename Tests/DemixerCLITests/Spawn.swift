import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a program and waits for it with `waitpid` (Foundation's `Process.waitUntilExit`
/// can miss a child's exit when many tests spawn processes at once, and hang).
/// Returns the exit status and what it wrote to stdout and stderr (when captured).
func spawn(
    _ arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment, capture: Bool = true
) throws -> (status: Int32, output: String, errors: String) {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    var outPipe: [Int32] = [-1, -1]
    var errPipe: [Int32] = [-1, -1]
    if capture {
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else { throw POSIXError(.EMFILE) }
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        for fd in outPipe + errPipe { posix_spawn_file_actions_addclose(&actions, fd) }
    } else {
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    }
    let pid = try launch(arguments, environment: environment, actions: &actions)
    var output = Data()
    var errors = Data()
    if capture {
        close(outPipe[1])
        close(errPipe[1])
        // Drain stderr on another thread so that neither pipe can fill and block the child.
        let errorReader = FileHandle(fileDescriptor: errPipe[0], closeOnDealloc: true)
        let group = DispatchGroup()
        let box = DataBox()
        DispatchQueue.global().async(group: group) { box.data = errorReader.readDataToEndOfFile() }
        output = FileHandle(fileDescriptor: outPipe[0], closeOnDealloc: true).readDataToEndOfFile()
        group.wait()
        errors = box.data
    }
    return (exitStatus(of: pid), String(decoding: output, as: UTF8.self), String(decoding: errors, as: UTF8.self))
}

/// A program running in the background with its stdout and stderr going to a file, so
/// that a test can signal it while it works.
struct BackgroundProcess {
    let pid: pid_t
    let log: String

    init(_ arguments: [String], environment: [String: String], log: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        pid = try launch(arguments, environment: environment, actions: &actions)
        self.log = log
    }

    func send(_ signal: Int32) { kill(pid, signal) }

    /// Waits for the exit; 128 + the signal's number when a signal ended it.
    func wait() -> Int32 { exitStatus(of: pid) }

    var output: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
}

private func launch(
    _ arguments: [String], environment: [String: String], actions: inout posix_spawn_file_actions_t
) throws -> pid_t {
    let argv = arguments.map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        for pointer in argv { free(pointer) }
        for pointer in envp { free(pointer) }
    }
    var pid: pid_t = 0
    let result = posix_spawnp(&pid, arguments[0], &actions, nil, argv, envp)
    guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: result) ?? .ENOENT) }
    return pid
}

/// Waits for `pid`; its exit status, or 128 + the signal's number when a signal ended it.
private func exitStatus(of pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
}

private final class DataBox: @unchecked Sendable {
    var data = Data()
}
