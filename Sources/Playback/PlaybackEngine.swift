import Foundation
import Synchronization

/// Plays a `StemStore` under `MixerControls` on a dedicated audio thread and reports
/// through `status`. Owned and driven by one thread (the UI's); the audio thread only
/// shares the store, the controls and the status with it, all lock-free.
public final class PlaybackEngine {
    public let store: StemStore
    public let controls: MixerControls
    /// Playhead, buffering, underruns and meters, for the UI to draw.
    public let status: PlaybackStatus
    /// Why the sound device could not be opened, when `start(device:)` fell back to a
    /// silent clock; `nil` while playing through the device. No sound card is not fatal.
    public private(set) var deviceProblem: String?
    private var renderLoop: RenderLoop?

    public init(store: StemStore, controls: MixerControls) {
        precondition(controls.stemCount == store.stemCount, "controls and store disagree on stems")
        self.store = store
        self.controls = controls
        status = PlaybackStatus(stemCount: store.stemCount)
    }

    deinit { stop() }

    /// Starts playing on ALSA `device` in `format`; if the device cannot be opened,
    /// plays silently against a `ClockSink` and says why in `deviceProblem`.
    public func start(device: String = "default", format: SampleFormat = .int16) {
        do {
            start(
                sink: try ALSASink(
                    device: device, format: format, sampleRate: store.sampleRate, channels: store.channelCount))
        } catch {
            deviceProblem = "No sound: \(error)"
            start(sink: ClockSink(sampleRate: store.sampleRate, channels: store.channelCount, format: format))
        }
    }

    /// Starts the audio thread writing to `sink`, which it owns from now on. With
    /// `realTimePriority` (the player's setting) the thread asks for `SCHED_FIFO`.
    public func start(sink: any AudioSink, realTimePriority: Bool = true) {
        precondition(renderLoop == nil, "the engine is already playing")
        precondition(sink.sampleRate == store.sampleRate, "the sink must run at the store's rate")
        precondition(sink.channelCount == store.channelCount, "the sink must take the store's channels")
        let renderer = Renderer(store: store, controls: controls, status: status, maxFrames: sink.periodFrames)
        let renderLoop = RenderLoop(renderer: renderer, sink: sink)
        self.renderLoop = renderLoop
        let status = status
        let thread = Thread {
            status.isRealTime = realTimePriority && requestRealTimeScheduling()
            renderLoop.run()
        }
        thread.name = "demixer-audio"
        thread.start()
    }

    /// Stops the audio thread, waits for it to finish its period and closes the sink.
    public func stop() {
        renderLoop?.stop()
        renderLoop = nil
    }
}

/// The audio thread's body: render a period, write it, repeat until stopped.
///
/// `@unchecked Sendable` because it crosses to the audio thread once, at start; after
/// that only the audio thread touches the renderer, the sink and the buffer, and the
/// engine touches only `running` (an atomic) and `finished` (a semaphore).
final class RenderLoop: @unchecked Sendable {
    private let renderer: Renderer
    private var sink: any AudioSink
    private let buffer: UnsafeMutableRawBufferPointer
    /// Underruns counted by sinks given up on.
    private var earlierUnderruns = 0
    private let running = Atomic<Bool>(true)
    private let finished = DispatchSemaphore(value: 0)

    init(renderer: Renderer, sink: any AudioSink) {
        self.renderer = renderer
        self.sink = sink
        buffer = .allocate(
            byteCount: sink.periodFrames * sink.channelCount * sink.format.bytesPerSample, alignment: 16)
    }

    deinit { buffer.deallocate() }

    func run() {
        var pace = Pacer(sampleRate: sink.sampleRate, slack: 4 * sink.periodFrames)
        while running.load(ordering: .relaxed) {
            renderer.render(frames: sink.periodFrames, into: buffer, format: sink.format)
            do {
                try sink.write(UnsafeRawBufferPointer(buffer), frames: sink.periodFrames)
            } catch {
                replaceFailedSink(error)
            }
            renderer.status.underruns = earlierUnderruns + sink.underruns
            pace.wrote(frames: sink.periodFrames)
        }
        sink.close()
        finished.signal()
    }

    func stop() {
        running.store(false, ordering: .relaxed)
        finished.wait()
    }

    /// Gives up on a sink that failed past recovery (say, a USB card unplugged) and
    /// goes on against a clock with the same layout. Off the real-time path: this
    /// allocates, but happens at most once per device.
    private func replaceFailedSink(_ error: any Error) {
        renderer.status.deviceFailure = "\(error)"
        earlierUnderruns += sink.underruns
        sink.close()
        sink = ClockSink(
            sampleRate: sink.sampleRate, channels: sink.channelCount, periodFrames: sink.periodFrames,
            format: sink.format)
    }
}

/// Keeps the audio thread at real time when the device does not: ALSA's `null` and
/// `file` plugins accept periods as fast as they come, which would race through the
/// track (and write silence without end while buffering). A hardware device blocks
/// long before the thread gets `slack` frames ahead of the wall clock, so for it this
/// never sleeps.
struct Pacer {
    let sampleRate: Int
    let slack: Int
    private var start: Double?
    private var frames = 0

    init(sampleRate: Int, slack: Int) {
        self.sampleRate = sampleRate
        self.slack = slack
    }

    mutating func wrote(frames count: Int) {
        let now = monotonicSeconds()
        let origin = start ?? now
        start = origin
        frames += count
        sleep(until: origin + Double(frames - slack) / Double(sampleRate), now: now)
    }
}

/// Moves the calling thread to `SCHED_FIFO` at a modest priority, above every normal
/// thread (the separation's included) and below the kernel's own real-time work, so
/// that a period is rendered on time however busy the cores are. Returns false where
/// the system does not allow it (no `CAP_SYS_NICE`, no `RLIMIT_RTPRIO`): playback then
/// runs at normal priority, as before.
func requestRealTimeScheduling() -> Bool {
    var parameters = sched_param()
    parameters.sched_priority = min(max(sched_get_priority_min(SCHED_FIFO), 10), sched_get_priority_max(SCHED_FIFO))
    return pthread_setschedparam(pthread_self(), SCHED_FIFO, &parameters) == 0
}

/// Sleeps until `deadline` on the monotonic clock, if it is still ahead of `now`.
func sleep(until deadline: Double, now: Double) {
    guard deadline > now else { return }
    var time = timespec(tv_sec: Int(deadline), tv_nsec: Int((deadline - deadline.rounded(.down)) * 1e9))
    while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &time, nil) == EINTR {}
}

/// `CLOCK_MONOTONIC` in seconds.
func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
