import AudioIO
import Demucs
import Foundation
import Mixing
import Playback
import StemCache
import TerminalUI

/// The player behind the terminal mixer: it separates the track on a background queue
/// into a `StemStore`, plays the store through the `PlaybackEngine` while that fills,
/// and turns the screen's commands into mixer state, seeks, loops and exports.
///
/// Driven from the UI thread only; the separation and export queues report through
/// `Mutex`-guarded state, the audio thread through atomics.
final class PlayerSession: PlayerController {
    private let track: Track
    private let modelName: String
    private let seekScale: Double
    private let store: StemStore
    private let controls: MixerControls
    private let engine: PlaybackEngine
    private let separation: SeparationHandle
    private let progress = Guarded(SeparationState())
    private let exporting = Guarded<ExportState?>(nil)
    private let deviceName: String
    private var mix: MixState
    private var selected = 0
    private var loopStart: Int?
    private var loopEnd: Int?
    private var message: String?
    private var quitting = false

    /// What the separation queue reports.
    struct SeparationState {
        var fraction = 0.0
        var speed = 0.0
        var failure: String?
        var isDone = false
    }

    /// A running or finished export.
    struct ExportState {
        var fraction: Double
        var description: String
        var isFinished = false
    }

    /// `seekStep` is the config's ←/→ step; the screen's 5 s and 30 s steps scale with it.
    init(track: Track, model: LoadedModel, device: String, seekStep: Double) {
        let separator = model.separator
        self.track = track
        self.modelName = model.displayName
        self.seekScale = seekStep / 5
        self.deviceName = device
        message = model.notice
        let sources = separator.bag.sources
        mix = MixState(stems: sources)
        store = StemStore(stems: sources.count, channels: track.mix.shape[0], frames: track.mix.shape[1])
        controls = MixerControls(state: mix, playing: true)
        engine = PlaybackEngine(store: store, controls: controls)

        let key = model.cacheKey(for: track)
        if let cached = model.cachedStems(key) {
            store.append(start: 0, frames: store.frameCount, stems: cached.samples)
            progress.withLock {
                $0.fraction = 1
                $0.isDone = true
            }
            separation = SeparationHandle()
        } else {
            separation = Self.startSeparation(track: track, model: model, cacheKey: key, into: store, progress: progress)
        }
        engine.start(device: device)
    }

    func snapshot() -> PlayerSnapshot {
        let separationState = progress.withLock { $0 }
        let export = exporting.withLock { $0 }
        let status = engine.status
        let rate = Double(StemStore.sampleRate)
        return PlayerSnapshot(
            fileName: "\(track.name).\(track.fileExtension)", durationSeconds: track.duration, modelName: modelName,
            sampleRate: track.sourceRate, positionSeconds: Double(status.position) / rate,
            separatedSeconds: Double(store.separatedFrames) / rate, separationFraction: separationState.fraction,
            separationSpeed: separationState.speed, isSeparationDone: store.isComplete,
            isPlaying: controls.isPlaying, isBuffering: status.isBuffering,
            loopStart: loopStart.map { Double($0) / rate }, loopEnd: loopEnd.map { Double($0) / rate }, mix: mix,
            meters: (0..<mix.strips.count).map { status.meter(stem: $0) } + [status.masterMeter],
            selectedStrip: selected,
            statusMessage: message ?? separationState.failure ?? status.deviceFailure ?? engine.deviceProblem
                ?? export.flatMap { $0.isFinished ? $0.description : nil },
            export: export.flatMap { $0.isFinished ? nil : ExportStatus(progress: $0.fraction, description: $0.description) },
            deviceName: deviceName, underruns: status.underruns, shouldQuit: quitting)
    }

    func handle(_ command: PlayerCommand) {
        let master = mix.strips.count
        let rate = Double(StemStore.sampleRate)
        let frames = store.frameCount
        switch command {
        case .togglePlay: controls.isPlaying.toggle()
        case .seek(let seconds): seek(toFrame: engine.status.position + Int(seconds * seekScale * rate))
        case .seekTo(let seconds): seek(toFrame: Int(seconds * rate))
        case .seekToStart: seek(toFrame: 0)
        case .seekToEnd: seek(toFrame: frames - 1)
        case .selectStrip(let index): selected = min(max(index, 0), master)
        case .selectNext: selected = (selected + 1) % (master + 1)
        case .selectPrevious: selected = (selected + master) % (master + 1)
        case .adjustGain(let strip, let dB):
            if strip == master { mix.adjustMasterGain(byDB: dB) } else { mix.adjustGain(of: strip, byDB: dB) }
        case .setGain(let strip, let dB):
            if strip == master { mix.masterGainDB = MixState.clampedGain(dB: dB) } else { mix.setGain(of: strip, dB: dB) }
        case .resetStrip(let strip):
            if strip == master { mix.masterGainDB = 0 } else { mix.resetStrip(strip) }
        case .resetMix: mix.resetAll()
        case .toggleMute(let strip) where strip < master: mix.toggleMute(strip)
        case .solo(let strip, let exclusive) where strip < master:
            if exclusive { mix.toggleExclusiveSolo(strip) } else { mix.toggleSolo(strip) }
        case .toggleMute, .solo: break
        case .preset(let preset): mix.apply(preset)
        case .loopMark: markLoop()
        case .export(let request): startExport(request)
        case .cancelExport: exporting.withLock { $0 = nil }
        case .quit:
            quitting = true
            separation.cancel()
            engine.stop()
        }
        controls.publish(mix)
    }

    /// Waits for a cancelled separation to return; call after `.quit`, before exiting.
    func waitForSeparationToStop() { separation.waitUntilStopped() }

    /// Separates on a background queue into `store`, reporting to `progress`, and caches
    /// the stems once the whole track is done.
    private static func startSeparation(
        track: Track, model: LoadedModel, cacheKey: CacheKey?, into store: StemStore, progress: Guarded<SeparationState>
    ) -> SeparationHandle {
        let (normalised, mean, std) = track.normalisedMix()
        let duration = track.duration
        let started = Date()
        let sources = model.separator.bag.sources
        return model.separator.start(
            mix: normalised,
            onProgress: { report in
                let elapsed = Date().timeIntervalSince(started)
                progress.withLock {
                    $0.fraction = report.fraction
                    $0.speed = elapsed > 0 ? report.fraction * duration / elapsed : 0
                }
            },
            onSpan: { span in
                store.append(start: span.start, frames: span.frameCount, stems: span.denormalised(mean: mean, std: std))
            },
            onFinish: { error in
                if error == nil { model.cache(Stems(names: sources, samples: store.separatedStems()), of: track, key: cacheKey) }
                progress.withLock {
                    $0.isDone = error == nil
                    if let error, !(error is SeparationCancelled) { $0.failure = "separation failed: \(error)" }
                }
            })
    }

    private func seek(toFrame frame: Int) {
        controls.requestSeek(to: min(max(frame, 0), max(store.frameCount - 1, 0)))
    }

    /// `l`: sets A at the playhead, then B, then clears the loop.
    private func markLoop() {
        let position = engine.status.position
        if let start = loopStart, loopEnd == nil {
            if position > start {
                loopEnd = position
                controls.loop = start..<position
            } else {
                loopStart = position
            }
        } else if loopStart == nil {
            loopStart = position
        } else {
            loopStart = nil
            loopEnd = nil
            controls.loop = nil
        }
    }

    /// Writes the remix as heard or every stem in the background, once the whole track
    /// is separated, while playback goes on.
    private func startExport(_ request: ExportRequest) {
        let running = exporting.withLock { $0.map { !$0.isFinished } ?? false }
        guard !running else {
            message = "an export is already running"
            return
        }
        message = nil
        let state = mix
        let store = store
        let track = track
        let exporting = exporting
        exporting.withLock { $0 = ExportState(fraction: 0, description: "waiting for separation") }
        DispatchQueue.global(qos: .utility).async {
            while !store.isComplete {
                if exporting.withLock({ $0 == nil }) { return }
                Thread.sleep(forTimeInterval: 0.1)
            }
            let description: String
            do {
                description = try exportTrack(track, stems: store.separatedStems(), state: state, request: request) { done in
                    exporting.withLock { $0?.fraction = done }
                }
            } catch {
                description = "export failed: \(error)"
            }
            exporting.withLock { $0 = ExportState(fraction: 1, description: description, isFinished: true) }
        }
    }
}

/// Writes `request`'s files from fully separated `stems`; returns what was written.
private func exportTrack(
    _ track: Track, stems: [[[Float]]], state: MixState, request: ExportRequest, progress: (Double) -> Void
) throws -> String {
    let format: AudioFileFormat =
        switch request.format {
        case .wav16: .wav16
        case .wav24: .wav24
        case .wavFloat: .wavFloat32
        case .flac16: .flac16
        case .flac24: .flac24
        case .mp3: .mp3
        }
    let outputs: [(String, [[Float]])] =
        switch request.kind {
        case .remix: [("\(track.name) (remix)", renderMix(stems: stems, state: state))]
        case .stems: zip(state.strips.map { "\(track.name)/\($0.name)" }, stems).map { ($0, $1) }
        }
    let buffers = try prepareForWriting(outputs.map(\.1), for: track, clip: .rescale)
    for (index, ((name, _), buffer)) in zip(outputs, buffers).enumerated() {
        let url = request.destination.appendingPathComponent("\(name).\(format.fileExtension)")
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try AudioFile.write(buffer, to: url.path, format: format)
        progress(Double(index + 1) / Double(outputs.count))
    }
    let target = request.kind == .remix ? outputs[0].0 : track.name + "/"
    return "exported \(request.destination.appendingPathComponent(target).path)"
}
