import ArgumentParser
import Demucs
import Playback
import DemixerCore
import Foundation
import Mixing
import Synchronization

/// `demixer bench`: times the official-size HT Demucs over a stretch of audio and prints
/// the real-time factor, a per-stage breakdown, GEMM throughput, peak memory and load time,
/// and the GEMM floor: the separation's GEMM work at the rate of a large square product.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time separation with the official htdemucs configuration.")

    @Option(help: ArgumentHelp(
        "An htdemucs model file; without one, random weights of the official configuration.", valueName: "path"))
    var weights: String?

    @Option(help: ArgumentHelp(
        "Raw little-endian float32 stereo input, planar [2, frames]; without one, synthetic audio.", valueName: "path"))
    var input: String?

    @Option(help: "Seconds of synthetic audio.")
    var seconds = 60.0

    @Option(help: "Threads for the matrix products and the element-wise kernels.")
    var threads = 2

    @Option(help: "Overlap between consecutive segments, 0 to 0.9.")
    var overlap = 0.25

    @Option(help: ArgumentHelp(
        "Also play the separated stems to a silent clock while separating, the audio thread at this priority, and count underruns.",
        valueName: "normal|realtime"))
    var play: AudioPriority?

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    func validate() throws {
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        if let problem = SettingRange.overlap.problem("--overlap", overlap) { throw ValidationError(problem) }
    }

    func run() throws {
        try reportingFailures {
            let started = Date()
            let model: HTDemucs
            do {
                if let weights {
                    model = try HTDemucs.load(contentsOf: URL(fileURLWithPath: weights))
                } else {
                    model = try HTDemucs(config: .officialHTDemucs, randomSeed: 1)
                }
            } catch {
                throw Failure(message: "\(weights ?? "random weights"): \(error)", status: ExitStatus.missingWeights)
            }
            let loadSeconds = Date().timeIntervalSince(started)
            let mix = try input.map(readPlanarStereo) ?? syntheticMix(seconds: seconds, sampleRate: model.config.sampleRate)
            let duration = Double(mix.shape[1]) / Double(model.config.sampleRate)

            var options = SeparationOptions()
            options.overlap = overlap
            let separator = try Separator(bag: ModelBag(model), options: options)
            let clock = StageClock()
            let context = ComputeContext(threads: threads, clock: clock)
            let separationStart = Date()
            var firstSpan: Double?
            var segments = 0
            var stems = HeldStems(sources: model.sourceCount, channels: mix.shape[0], frames: mix.shape[1])
            let playback = try play.map { try BenchPlayback(model: model, frames: mix.shape[1], priority: $0) }
            try separator.run(
                mix: mix, context: context, onProgress: { segments = $0.segmentsDone },
                onSpan: { span in
                    if firstSpan == nil { firstSpan = Date().timeIntervalSince(separationStart) }
                    stems.store(span)
                    playback?.append(span)
                })
            let separationSeconds = Date().timeIntervalSince(separationStart)
            let underruns = playback?.stop()
            let flops = Double(context.gemmFlops)
            let issued = Double(context.issuedGemmFlops)
            // Read before the square product allocates its 48 MB.
            let peakRSS = peakResidentMegabytes()
            let square = measureSquareGemmRate(threads: threads)
            let report = Report(
                audioSeconds: duration, threads: threads, segments: segments, loadSeconds: loadSeconds,
                separationSeconds: separationSeconds, firstSpanSeconds: firstSpan ?? 0,
                gemmGFLOP: flops / 1e9, issuedGFLOP: issued / 1e9, square: square, stages: clock.seconds, stageCPU: clock.cpuSeconds, peakRSSMB: peakRSS,
                checksum: stems.checksum, blasKernel: matrixKernelName, playback: underruns)
            print(json ? report.json : report.table)
        }
    }
}

/// What one benchmark run measured.
private struct Report {
    let audioSeconds: Double
    let threads: Int
    let segments: Int
    let loadSeconds: Double
    let separationSeconds: Double
    let firstSpanSeconds: Double
    /// The model's products in direct form: the floor's work.
    let gemmGFLOP: Double
    /// What the products issued, fewer where Winograd convolutions save multiplications.
    let issuedGFLOP: Double
    /// A square product timed after the separation, on the same threads.
    let square: SquareGemmRate
    let stages: [String: Double]
    /// CPU seconds of all threads during each stage.
    let stageCPU: [String: Double]
    let peakRSSMB: Double
    let checksum: Double
    let blasKernel: String
    /// Underruns and whether the audio thread ran under SCHED_FIFO, when playing along.
    let playback: (underruns: Int, realTime: Bool)?

    /// Real-time factor with loading included, as the issue defines it.
    var rtf: Double { (loadSeconds + separationSeconds) / audioSeconds }
    var gemmRate: Double { gemmGFLOP / separationSeconds }
    var squareGFLOPS: Double { square.flopsPerSecond / 1e9 }
    /// The separation's GEMM work at the square product's rate: what it would take if
    /// every product ran that fast and nothing else took time.
    var floorSeconds: Double { gemmGFLOP / squareGFLOPS }
    var floorRatio: Double { separationSeconds / floorSeconds }

    static let stageOrder = ["stft", "encoder", "transformer", "decoder", "istft", "overlap-add"]

    var table: String {
        var lines = [
            String(format: "audio           %.1f s, %d segments, %d threads", audioSeconds, segments, threads),
            "BLAS            OpenBLAS, \(blasKernel) kernels",
            String(format: "load            %.3f s", loadSeconds),
            String(format: "separation      %.2f s (first span after %.2f s)", separationSeconds, firstSpanSeconds),
            String(format: "RTF             %.3f (load included)", rtf),
            String(
                format: "GEMM            %.0f GFLOP (%.0f issued), %.1f GFLOP/s over the whole separation", gemmGFLOP,
                issuedGFLOP, gemmRate),
            String(
                format: "GEMM floor      %d³ sgemm %.1f GFLOP/s (best of %d, same threads): floor %.2f s, separation / floor %.2f",
                square.size, squareGFLOPS, square.repetitions, floorSeconds, floorRatio),
            String(format: "peak RSS        %.0f MB", peakRSSMB),
        ]
        if let playback {
            lines.append(
                "playback        \(playback.underruns) underruns, audio thread at "
                    + (playback.realTime ? "SCHED_FIFO" : "normal priority"))
        }
        let accounted = stages.values.reduce(0, +)
        for name in Self.stageOrder {
            let t = stages[name] ?? 0
            let busy = t > 0 ? (stageCPU[name] ?? 0) / t : 0
            lines.append(
                "  " + name.padding(toLength: 13, withPad: " ", startingAt: 0)
                    + String(format: " %7.2f s  %5.1f %%  %.2f cores busy", t, 100 * t / separationSeconds, busy))
        }
        lines.append("  other        " + String(format: " %7.2f s", separationSeconds - accounted))
        return lines.joined(separator: "\n")
    }

    var json: String {
        var object: [String: Any] = [
            "audio_seconds": audioSeconds, "threads": threads, "segments": segments, "load_seconds": loadSeconds,
            "separation_seconds": separationSeconds, "first_span_seconds": firstSpanSeconds, "rtf": rtf,
            "gemm_gflop": gemmGFLOP, "issued_gemm_gflop": issuedGFLOP, "gemm_gflops_per_second": gemmRate, "peak_rss_mb": peakRSSMB,
            "square_sgemm_size": square.size, "square_sgemm_gflops_per_second": squareGFLOPS,
            "gemm_floor_seconds": floorSeconds, "floor_ratio": floorRatio,
            "stages": stages, "stage_cpu_seconds": stageCPU, "checksum": checksum, "blas_kernel": blasKernel,
        ]
        if let playback {
            object["playback_underruns"] = playback.underruns
            object["playback_realtime"] = playback.realTime
        }
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}

/// The separated track held as 16-bit samples, half the memory of floats (a 4-minute
/// song's four stereo stems take 170 MB instead of 340 MB). The player and `separate`
/// hold floats, so their peak is higher by the difference.
private struct HeldStems {
    let channels: Int
    let frames: Int
    var samples: [[Int16]]
    /// Sum of |sample| over everything stored, to show that the runs computed the same thing.
    var checksum = 0.0

    init(sources: Int, channels: Int, frames: Int) {
        self.channels = channels
        self.frames = frames
        samples = [[Int16]](repeating: [Int16](repeating: 0, count: channels * frames), count: sources)
    }

    mutating func store(_ span: StemSpan) {
        for (s, stem) in span.stems.enumerated() {
            for c in 0..<channels {
                for i in 0..<span.frameCount {
                    let value = stem.values[c * span.frameCount + i]
                    checksum += Double(abs(value))
                    samples[s][c * frames + span.start + i] = Int16(max(-1, min(1, value)) * 32767)
                }
            }
        }
    }
}

/// A deterministic, music-like test signal: a few detuned partials with a beat and noise.
private func syntheticMix(seconds: Double, sampleRate: Int) -> Tensor {
    let frames = Int(seconds * Double(sampleRate))
    var values = [Float](repeating: 0, count: 2 * frames)
    var noise: UInt32 = 12345
    for i in 0..<frames {
        let t = Float(i) / Float(sampleRate)
        noise = noise &* 1_664_525 &+ 1_013_904_223
        let hiss = (Float(noise >> 8) / Float(1 << 24) - 0.5) * 0.05
        let beat = expf(-8 * (t.truncatingRemainder(dividingBy: 0.5)))
        let tone = 0.3 * sinf(2 * .pi * 110 * t) + 0.2 * sinf(2 * .pi * 220.5 * t) + 0.1 * sinf(2 * .pi * 659 * t)
        values[i] = tone + beat * hiss * 8
        values[frames + i] = 0.9 * tone + hiss
    }
    return Tensor(shape: [2, frames], values: values)
}

/// Reads `[2, frames]` float32 samples written by `scripts/bench_pytorch.py`.
private func readPlanarStereo(_ path: String) throws -> Tensor {
    guard let data = FileManager.default.contents(atPath: path), data.count % 8 == 0, !data.isEmpty else {
        throw Failure(message: "\(path): expected raw float32 stereo samples", status: ExitStatus.unreadableInput)
    }
    let values = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    return Tensor(shape: [2, values.count / 2], values: values)
}

/// Peak resident set size of this process so far, in MB.
private func peakResidentMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// The audio thread's priority when the benchmark plays along.
enum AudioPriority: String, ExpressibleByArgument, CaseIterable {
    case normal, realtime
}

/// The player's render path running beside the benchmark's separation: its stems fill a
/// store as they arrive and the audio thread plays it to a silent clock that counts an
/// underrun whenever a period comes later than its four-period buffer allows.
private final class BenchPlayback {
    private let store: StemStore
    private let engine: PlaybackEngine
    private let sink: ClockSink

    init(model: HTDemucs, frames: Int, priority: AudioPriority) throws {
        store = try StemStore(
            stems: model.sourceCount, channels: model.config.audioChannels, frames: frames,
            sampleRate: model.config.sampleRate)
        engine = PlaybackEngine(
            store: store, controls: MixerControls(state: MixState(stems: model.config.sources), playing: true))
        sink = ClockSink(sampleRate: model.config.sampleRate, channels: model.config.audioChannels, periodFrames: 1024)
        engine.start(sink: sink, realTimePriority: priority == .realtime)
    }

    func append(_ span: StemSpan) {
        let planar = span.stems.map { stem in
            (0..<stem.shape[0]).map { c in Array(stem.values[(c * span.frameCount)..<((c + 1) * span.frameCount)]) }
        }
        store.append(start: span.start, frames: span.frameCount, stems: planar)
    }

    /// Stops playing; returns the underruns and whether the thread got real-time scheduling.
    func stop() -> (underruns: Int, realTime: Bool) {
        let result = (engine.status.underruns, engine.status.isRealTime)
        engine.stop()
        return result
    }
}
