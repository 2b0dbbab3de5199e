import Foundation
import Mixing
@testable import Playback

/// `stems` stems of `channels` channels, each a different quiet sine with a DC offset,
/// so every stem, channel and frame holds a value of its own.
func testStems(stems: Int = 4, channels: Int = 2, frames: Int) -> [[[Float]]] {
    (0..<stems).map { stem in
        (0..<channels).map { channel in
            let frequency = Double(110 * (stem + 1) + 37 * channel)
            return (0..<frames).map { frame in
                Float(0.2 * sin(2 * .pi * frequency * Double(frame) / 44_100) + 0.01 * Double(stem + 1))
            }
        }
    }
}

/// A store holding `stems`, all of it separated.
/// A store holding `stems`, all separated; a test cannot go on without one.
func filledStore(_ stems: [[[Float]]]) -> StemStore {
    let frames = stems[0][0].count
    let store = try! StemStore(stems: stems.count, channels: stems[0].count, frames: frames, sampleRate: 44_100)
    store.append(start: 0, frames: frames, stems: stems)
    return store
}

/// Drives a `Renderer` period by period into float samples, as an engine would.
final class RenderHarness {
    let store: StemStore
    let controls: MixerControls
    let status: PlaybackStatus
    let renderer: Renderer
    let period: Int
    private let buffer: UnsafeMutableRawBufferPointer

    init(store: StemStore, state: MixState, playing: Bool = true, period: Int = 512) {
        self.store = store
        self.period = period
        controls = MixerControls(state: state, playing: playing)
        status = PlaybackStatus(stemCount: store.stemCount)
        renderer = Renderer(store: store, controls: controls, status: status, maxFrames: period)
        buffer = .allocate(byteCount: period * store.channelCount * 4, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// Renders one period without looking at it.
    func renderQuietly() {
        renderer.render(frames: period, into: buffer, format: .float32)
    }

    /// Renders `periods` periods and returns them deinterleaved, `[channel][frame]`.
    func render(periods: Int = 1) -> [[Float]] {
        var channels = [[Float]](repeating: [], count: store.channelCount)
        for _ in 0..<periods {
            renderQuietly()
            let samples = UnsafeRawBufferPointer(buffer).bindMemory(to: Float.self)
            for frame in 0..<period {
                for channel in channels.indices {
                    channels[channel].append(samples[frame * store.channelCount + channel])
                }
            }
        }
        return channels
    }
}

/// Polls `condition` until it holds or `seconds` pass; returns whether it held.
func eventually(within seconds: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(2_000)
    }
    return condition()
}

/// Bytes glibc's malloc has handed out and not taken back: the "in use bytes" of the
/// total that `malloc_stats()` prints to standard error, read back from a temporary
/// file. Swift's Glibc module leaves out <malloc.h>, so `malloc_stats` is found with
/// `dlsym`; `nil` if it cannot be.
func mallocBytesInUse() -> Int? {
    guard let symbol = dlsym(nil, "malloc_stats"), let capture = tmpfile() else { return nil }
    defer { fclose(capture) }
    let mallocStats = unsafeBitCast(symbol, to: (@convention(c) () -> Void).self)
    fflush(nil)
    let savedStderr = dup(2)
    dup2(fileno(capture), 2)
    mallocStats()
    dup2(savedStderr, 2)
    close(savedStderr)
    rewind(capture)
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while case let count = fread(&chunk, 1, chunk.count, capture), count > 0 {
        bytes += chunk[..<count]
    }
    let inUse = String(decoding: bytes, as: UTF8.self).split(separator: "\n").filter { $0.contains("in use bytes") }
    return inUse.last.flatMap { Int($0.split(separator: "=").last!.trimmingCharacters(in: .whitespaces)) }
}
