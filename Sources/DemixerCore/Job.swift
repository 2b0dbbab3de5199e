import Dispatch
import Synchronization

/// How a job ended: exactly one of these per job.
public enum JobOutcome<Value: Sendable>: Sendable {
    case finished(Value)
    case cancelled
    case failed(Failure)
}

/// Thrown by a job's work when it notices it was cancelled.
public struct JobCancelled: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "cancelled" }
}

/// What a job's work sees of its job: whether to stop, and where progress goes.
public struct JobContext: Sendable {
    fileprivate let control: JobControl

    /// True once someone asked the job to stop; the work should return soon after.
    public var isCancelled: Bool { control.cancelled.load(ordering: .relaxed) }

    /// Throws `JobCancelled` when the job was asked to stop.
    public func checkCancelled() throws {
        if isCancelled { throw JobCancelled() }
    }

    /// Publishes how far the work is, from 0 to 1.
    public func report(progress: Double) {
        control.set(progress: min(max(progress, 0), 1))
    }
}

/// Shared between a job's handle and its work.
private final class JobControl: Sendable {
    let cancelled = Atomic<Bool>(false)
    /// The progress fraction's bit pattern.
    private let progressBits = Atomic<UInt64>(0)

    var progress: Double { Double(bitPattern: progressBits.load(ordering: .relaxed)) }

    func set(progress: Double) { progressBits.store(progress.bitPattern, ordering: .relaxed) }
}

/// A piece of the application's work (a separation, a cache write, an export) running on
/// a Dispatch queue: it reports progress, can be cancelled, and can be waited for.
///
/// Whatever the work leaves behind (temporary files above all) is cleaned up by the
/// work itself before it returns, so once `outcome` is set, or `wait()` returns,
/// nothing of a cancelled or failed job remains.
public final class Job<Value: Sendable>: Sendable {
    /// What the job does, for messages ("separating song.flac").
    public let name: String
    private let control = JobControl()
    private let ending = Mutex<JobOutcome<Value>?>(nil)
    private let running = DispatchGroup()

    private init(name: String) {
        self.name = name
    }

    /// Starts `work` on `queue`. `onEnd` receives the outcome exactly once, after the
    /// work has returned and before `wait()` returns. An error other than `Failure` is
    /// reported as a `Failure` with `failureStatus`; any error thrown after `cancel()`
    /// counts as cancelled.
    public static func start(
        _ name: String,
        on queue: DispatchQueue = .global(qos: .userInitiated),
        failureStatus: Int32 = ExitStatus.separationFailure,
        onEnd: @escaping @Sendable (JobOutcome<Value>) -> Void = { _ in },
        work: @escaping @Sendable (JobContext) throws -> Value
    ) -> Job {
        start(name, on: queue, failureStatus: failureStatus, cancelled: false, onEnd: onEnd, work: work)
    }

    /// `start`, possibly already cancelled, so that its work sees it from its first check.
    fileprivate static func start(
        _ name: String, on queue: DispatchQueue, failureStatus: Int32, cancelled: Bool,
        onEnd: @escaping @Sendable (JobOutcome<Value>) -> Void,
        work: @escaping @Sendable (JobContext) throws -> Value
    ) -> Job {
        let job = Job(name: name)
        if cancelled { job.cancel() }
        let context = JobContext(control: job.control)
        job.running.enter()
        queue.async {
            let outcome: JobOutcome<Value>
            do {
                outcome = .finished(try work(context))
            } catch {
                if context.isCancelled {
                    outcome = .cancelled
                } else if let failure = error as? Failure {
                    outcome = .failed(failure)
                } else {
                    outcome = .failed(Failure(message: "\(name): \(error)", status: failureStatus))
                }
            }
            if case .finished = outcome { context.report(progress: 1) }
            job.ending.withLock { $0 = outcome }
            onEnd(outcome)
            job.running.leave()
        }
        return job
    }

    /// Asks the work to stop at its next check; `wait()` then returns `.cancelled`
    /// unless it had already finished.
    public func cancel() { control.cancelled.store(true, ordering: .relaxed) }

    public var isCancelled: Bool { control.cancelled.load(ordering: .relaxed) }

    /// From 0 to 1, as the work last reported it.
    public var progress: Double { control.progress }

    /// How the job ended, or nil while it runs.
    public var outcome: JobOutcome<Value>? { ending.withLock { $0 } }

    /// Blocks until the work has returned and cleaned up.
    @discardableResult
    public func wait() -> JobOutcome<Value> {
        running.wait()
        return outcome!
    }
}

/// The jobs an application has running, so that quitting (a key, a signal, a closed
/// terminal) can cancel all of them and wait until each has cleaned up.
public final class JobGroup: Sendable {
    private struct Tracked: Sendable {
        let cancel: @Sendable () -> Void
        let wait: @Sendable () -> Void
    }

    private struct State {
        var running: [Int: Tracked] = [:]
        /// Jobs that ended before they were registered.
        var ended: Set<Int> = []
        var nextID = 0
        var isClosed = false
    }

    private let state = Mutex(State())

    public init() {}

    /// `Job.start`, tracked by the group until it ends. After `cancelAll()` a new job
    /// starts cancelled, so nothing begins while the application shuts down.
    @discardableResult
    public func start<Value: Sendable>(
        _ name: String,
        on queue: DispatchQueue = .global(qos: .userInitiated),
        failureStatus: Int32 = ExitStatus.separationFailure,
        onEnd: @escaping @Sendable (JobOutcome<Value>) -> Void = { _ in },
        work: @escaping @Sendable (JobContext) throws -> Value
    ) -> Job<Value> {
        let (id, closed) = state.withLock {
            $0.nextID += 1
            return ($0.nextID, $0.isClosed)
        }
        let job = Job<Value>.start(
            name, on: queue, failureStatus: failureStatus, cancelled: closed,
            onEnd: { [weak self] outcome in
                onEnd(outcome)
                self?.state.withLock {
                    if $0.running.removeValue(forKey: id) == nil { $0.ended.insert(id) }
                }
            },
            work: { context in
                try context.checkCancelled()
                return try work(context)
            })
        let isClosed = state.withLock {
            if $0.ended.remove(id) == nil {
                $0.running[id] = Tracked(cancel: { job.cancel() }, wait: { job.wait() })
            }
            return $0.isClosed
        }
        if isClosed { job.cancel() }
        return job
    }

    /// Cancels every running job and every job started from now on.
    public func cancelAll() {
        let running = state.withLock {
            $0.isClosed = true
            return Array($0.running.values)
        }
        for job in running { job.cancel() }
    }

    /// Blocks until no job runs, including jobs that ending jobs start (a cache write
    /// after a separation).
    public func waitAll() {
        while let job = state.withLock({ $0.running.values.first }) { job.wait() }
    }

    /// Whether no job is running.
    public var isIdle: Bool { state.withLock { $0.running.isEmpty } }
}
