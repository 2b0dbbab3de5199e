import Testing
@testable import Mixing

@Suite struct GainSmootherTests {
    func run(_ smoother: inout GainSmoother, frames: Int) -> [Float] {
        var gains = [Float](repeating: .nan, count: frames)
        gains.withUnsafeMutableBufferPointer { smoother.fill($0.baseAddress!, count: frames) }
        return gains
    }

    @Test func rampReachesTheTargetExactlyAfterItsLength() {
        var smoother = GainSmoother(gain: 0, rampFrames: 441)
        smoother.setTarget(0.7)
        let gains = run(&smoother, frames: 600)
        #expect(gains[439] < 0.7)
        #expect(gains[440...].allSatisfy { $0 == 0.7 })
        #expect(smoother.isSettled)
    }

    @Test func perFrameStepsAreBoundedByTheJumpOverTheRampLength() {
        var smoother = GainSmoother(gain: 1, rampFrames: 441)
        smoother.setTarget(0)
        var gains = run(&smoother, frames: 200)
        smoother.setTarget(2)
        gains += run(&smoother, frames: 600)
        let steps = zip(gains.dropFirst(), gains).map { abs($0 - $1) }
        #expect(steps.max()! <= 2 / 441 * 1.001)
        #expect(gains.last == 2)
    }

    @Test func aShorterRampCanBeAskedForOneFade() {
        var smoother = GainSmoother(gain: 1, rampFrames: 441)
        smoother.setTarget(0, overFrames: 10)
        #expect(smoother.framesToTarget == 10)
        let gains = run(&smoother, frames: 12)
        #expect(gains[9] == 0 && smoother.isSilent)
    }

    @Test func settingTheSameTargetDoesNotRestartTheRamp() {
        var smoother = GainSmoother(gain: 0, rampFrames: 100)
        smoother.setTarget(1)
        _ = run(&smoother, frames: 50)
        smoother.setTarget(1)
        #expect(smoother.framesToTarget == 50)
    }
}
