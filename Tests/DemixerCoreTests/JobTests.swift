import DemixerCore
import Dispatch
import Foundation
import Synchronization
import Testing

@Suite struct JobTests {
    @Test func cancelledJobEndsCancelledAndReportsExactlyOnce() {
        let ends = Mutex<[String]>([])
        let started = DispatchSemaphore(value: 0)
        let job = Job<Int>.start(
            "spin", onEnd: { outcome in ends.withLock { $0.append(outcome.isCancelled ? "cancelled" : "other") } }
        ) { context in
            started.signal()
            while true { try context.checkCancelled() }
        }
        started.wait()
        job.cancel()
        #expect(job.wait().isCancelled)
        #expect(job.wait().isCancelled)
        #expect(ends.withLock { $0 } == ["cancelled"])
    }

    @Test func failureKeepsItsMessageAndStatus() {
        let job = Job<Int>.start("fail") { _ in throw Failure(message: "disk full", status: ExitStatus.writeFailure) }
        guard case .failed(let failure) = job.wait() else {
            Issue.record("expected a failure")
            return
        }
        #expect(failure.message == "disk full")
        #expect(failure.status == ExitStatus.writeFailure)
    }

    @Test func finishedJobReportsFullProgressAndItsValue() {
        let job = Job<Int>.start("add") { context in
            context.report(progress: 0.5)
            return 42
        }
        guard case .finished(let value) = job.wait() else {
            Issue.record("expected a value")
            return
        }
        #expect(value == 42)
        #expect(job.progress == 1)
    }

    @Test func groupCancelAllStopsRunningJobsAndRefusesNewOnes() {
        let group = JobGroup()
        let started = DispatchSemaphore(value: 0)
        let running = group.start("spin") { context -> Int in
            started.signal()
            while true { try context.checkCancelled() }
        }
        started.wait()
        group.cancelAll()
        let late = group.start("late") { _ in 1 }
        group.waitAll()
        #expect(running.outcome?.isCancelled == true)
        #expect(late.outcome?.isCancelled == true)
        #expect(group.isIdle)
    }

    @Test func groupWaitAllIncludesJobsThatEndingJobsStart() {
        let group = JobGroup()
        let follower = Mutex<Job<Int>?>(nil)
        group.start("first", onEnd: { (_: JobOutcome<Int>) in
            let next = group.start("second") { _ -> Int in
                Thread.sleep(forTimeInterval: 0.2)
                return 2
            }
            follower.withLock { $0 = next }
        }) { _ in 1 }
        group.waitAll()
        #expect(follower.withLock { $0?.outcome?.isFinished } == true)
    }
}
