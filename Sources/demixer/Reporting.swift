import ArgumentParser
import DemixerCore
import Dispatch
import Foundation

extension ParsableCommand {
    /// Runs `body`, printing a `Failure`'s message to stderr and exiting with its status.
    func reportingFailures(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let failure as Failure {
            printError("demixer: \(failure.message)")
            throw ExitCode(failure.status)
        }
    }
}

/// Writes a line to standard error.
func printError(_ line: String) {
    writeStandardError(line + "\n")
}

/// Writes text to standard error, unbuffered; a closed stderr is not an error worth dying of.
func writeStandardError(_ text: String) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeMutableBytes { write(STDERR_FILENO, $0.baseAddress! + offset, $0.count - offset) }
        if written < 0 && errno == EINTR { continue }
        guard written > 0 else { return }
        offset += written
    }
}

/// The batch commands' jobs and the signals that stop them: SIGINT, SIGTERM and SIGHUP
/// cancel every job (each removes its temporary files) and the command then exits
/// with 128 + the signal's number; SIGPIPE is ignored, so a closed pipe on standard
/// output or error ends nothing but that output.
final class BatchJobs {
    let group = JobGroup()
    private let received = Guarded<Int32?>(nil)
    private let sources: [any DispatchSourceSignal]

    init() {
        signal(SIGPIPE, SIG_IGN)
        let queue = DispatchQueue(label: "demixer.signals")
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM, SIGHUP] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            sources.append(source)
        }
        self.sources = sources
        for (source, number) in zip(sources, [SIGINT, SIGTERM, SIGHUP]) {
            source.setEventHandler { [group, received] in
                received.withLock { $0 = $0 ?? number }
                group.cancelAll()
            }
            source.resume()
        }
    }

    /// Waits for `job`, redrawing `progress` with the job's fraction; returns its value,
    /// or throws its failure, or, when a signal cancelled it, the exit for that signal.
    func wait<Value>(for job: Job<Value>, progress: ((Double) -> Void)? = nil) throws -> Value {
        while job.outcome == nil {
            progress?(job.progress)
            Thread.sleep(forTimeInterval: 0.1)
        }
        switch job.wait() {
        case .finished(let value): return value
        case .failed(let failure): throw failure
        case .cancelled: throw interruption()
        }
    }

    /// The exit for the signal that stopped the jobs, after saying so.
    private func interruption() -> ExitCode {
        let number = received.withLock { $0 } ?? SIGINT
        printError("\ndemixer: interrupted; nothing partial was left behind")
        return ExitCode(128 + number)
    }
}
