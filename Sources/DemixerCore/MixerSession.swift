import Demucs
import Foundation
import Mixing
import Playback
import StemCache


/// Where the player's sound goes.
public enum PlaybackOutput {
    /// An ALSA device by name; with no usable device, playback keeps time silently.
    case device(String)
    /// A sink of the caller's (tests use a silent clock).
    case sink(any AudioSink)
}

/// The player without its screen: it separates the track as a job into a `StemStore`,
/// plays the store while that fills, keeps the mixer state, the loop and the export
/// job, and shuts every job down on `quit()`.
///
/// Driven from one thread (the UI's); the jobs report through their handles and the
/// audio thread through atomics.
public final class MixerSession {
    public let track: Track
    public let model: LoadedModel
    public let store: StemStore
    public let controls: MixerControls
    public let engine: PlaybackEngine
    /// Every job the session started; `quit()` cancels and waits for them.
    public let jobs = JobGroup()
    /// The mixer state; setting it takes effect on the audio thread at once.
    public var mix: MixState {
        didSet { controls.publish(mix) }
    }
    /// Tempo and key of playback and of the remix export; setting it takes effect on
    /// the audio thread at once, gliding without clicks.
    public var stretch: StretchSettings = .original {
        didSet { controls.stretch = stretch }
    }
    public private(set) var loop: (start: Int, end: Int?)?
    /// The job filling the store (a separation, or decoding a cache entry), or nil when
    /// the stems were given; it yields how many non-finite samples the model produced
    /// (played as silence).
    public private(set) var separation: Job<Int>?
    /// Frames an interrupted earlier run had separated, in the store from the start.
    public let resumedFrames: Int
    /// The latest export, running or ended.
    public private(set) var export: Job<String>?
    /// Things the user should know that do not stop playback (a resumed separation, a
    /// cache write that failed).
    public var warnings: [String] { warningLog.withLock { $0 } }
    private let warningLog = Guarded<[String]>([])
    /// The frame the separation should reach next: where the listener went.
    private let focus = Guarded<Int>(0)
    private let startedAt = Date()

    /// `stems`, when given (an NI Stems file's, see `Track.loadStems`), fill the store at
    /// once under their own names: nothing is separated or cached. Otherwise the stems
    /// come from the cache, or from a separation that resumes where an interrupted one
    /// stopped. Throws when there is no room on disk for the stems.
    public init(track: Track, model: LoadedModel, stems: Stems? = nil, output: PlaybackOutput) throws(Failure) {
        self.track = track
        self.model = model
        let names = stems?.names ?? model.sources
        mix = MixState(stems: names)
        let warnings = warningLog
        let prepared =
            if let stems {
                try PreparedStems.given(stems, of: track)
            } else {
                try model.prepareStems(for: track) { message in warnings.withLock { $0.append(message) } }
            }
        store = prepared.store
        resumedFrames = prepared.resumedFrames
        if let notice = prepared.resumeNotice(for: track) { warnings.withLock { $0.append(notice) } }
        controls = MixerControls(state: mix, playing: true)
        engine = PlaybackEngine(store: store, controls: controls)
        if !store.isComplete { separation = startFilling(prepared) }
        switch output {
        case .device(let name): engine.start(device: name)
        case .sink(let sink): engine.start(sink: sink)
        }
    }

    /// The separation's speed as a multiple of real time, 0 before the first segment.
    public var separationSpeed: Double {
        guard separation != nil else { return 0 }
        let elapsed = Date().timeIntervalSince(startedAt)
        let seconds = Double(store.separatedFrames - resumedFrames) / Double(track.sampleRate)
        return elapsed > 0 ? seconds / elapsed : 0
    }

    /// Why the separation stopped, if it failed, or what was wrong with its output.
    public var separationProblem: String? {
        switch separation?.outcome {
        case .failed(let failure)?: failure.message
        case .finished(let nonFinite)? where nonFinite > 0: Separation.nonFiniteMessage(nonFinite, in: track)
        default: nil
        }
    }

    /// Moves the playhead to `frame`, kept inside the track; where it is not separated
    /// yet, the separation moves there next.
    public func seek(toFrame frame: Int) {
        let target = min(max(frame, 0), max(store.frameCount - 1, 0))
        focus.withLock { $0 = target }
        controls.requestSeek(to: target)
    }

    /// Loop marking as a DAW's A/B: sets A at the playhead, then B after it (a point
    /// before A moves A instead), then clears the loop.
    public func markLoop() {
        let position = engine.status.position
        switch loop {
        case (let start, nil)? where position > start:
            loop = (start, position)
            controls.loop = start..<position
            // A loop over parts not separated yet is separated first.
            focus.withLock { $0 = start }
        case (_, nil)?, nil:
            loop = (position, nil)
        case (_, _?)?:
            loop = nil
            controls.loop = nil
        }
    }

    /// Starts writing `request` in the background once the whole track is separated,
    /// while playback goes on. Returns why it did not start, when an export is running.
    @discardableResult
    public func startExport(_ request: ExportRequest) -> String? {
        if let export, export.outcome == nil, !export.isCancelled { return "an export is already running" }
        let previous = export
        let (track, store, state, stretch) = (track, store, mix, stretch)
        export = jobs.start("exporting \(track.fileName)", on: .global(qos: .utility), failureStatus: ExitStatus.writeFailure) {
            context in
            // A cancelled export still stopping owns its files until it has cleaned up.
            previous?.wait()
            while !store.isComplete {
                try context.checkCancelled()
                Thread.sleep(forTimeInterval: 0.05)
            }
            return try AudioOutput.export(request, of: track, store: store, state: state, stretch: stretch, context: context)
        }
        return nil
    }

    /// Stops the running export; its temporary file is removed before it reports.
    public func cancelExport() { export?.cancel() }

    /// Stops playback and every job, and waits until each has cleaned up.
    public func quit() {
        jobs.cancelAll()
        jobs.waitAll()
        engine.stop()
    }

    /// Threads for the player's separation: every core on a machine of up to three, where
    /// the audio thread (real-time priority where allowed) and the screen need little and
    /// a core less would cost a third or half the speed; one core left free beyond that,
    /// so that the UI never waits behind the model.
    static func separationThreads(cores: Int = ProcessInfo.processInfo.activeProcessorCount) -> Int {
        cores >= 4 ? cores - 1 : max(cores, 1)
    }

    /// Fills the store on a job, from the focus on; a finished separation's partial cache
    /// entry then becomes a cache entry in a job of its own.
    private func startFilling(_ prepared: PreparedStems) -> Job<Int> {
        let (track, model, jobs, warnings, focus) = (track, model, jobs, warningLog, focus)
        return jobs.start(
            "separating \(track.fileName)",
            onEnd: { outcome in
                guard case .separation(let partial?) = prepared.origin, case .finished(let nonFinite) = outcome else {
                    return
                }
                guard nonFinite == 0 else { return partial.discard() }
                jobs.start("caching \(track.fileName)", on: .global(qos: .utility)) { _ in
                    if let problem = model.finishCaching(partial) { warnings.withLock { $0.append(problem) } }
                }
            },
            work: { context in
                try Separation.fill(
                    prepared, from: track, with: model, context: context,
                    compute: ComputeContext(threads: Self.separationThreads()), focus: { focus.withLock { $0 } },
                    warn: { message in warnings.withLock { $0.append(message) } })
            })
    }
}
