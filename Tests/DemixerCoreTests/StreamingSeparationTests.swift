import AudioIO
import DemixerCore
import Foundation
import Mixing
import Playback
import StemCache
import Testing

/// Every sample of a complete store, `[stem][channel][frame]`.
private func everything(_ store: StemStore) -> [[[Float]]] { store.stems(in: 0..<store.frameCount) }

/// Fills `prepared` in a job, asking `focus` before each tile; optionally cancels the job
/// once `cancelAfter` tiles are separated.
private func fill(
    _ prepared: PreparedStems, track: Track, model: LoadedModel, focus: @escaping @Sendable () -> Int = { 0 },
    cancelAfter: Int? = nil
) -> JobOutcome<Int> {
    let job = JobGroup().start("filling") { context in
        try Separation.fill(prepared, from: track, with: model, context: context, focus: focus)
    }
    if let cancelAfter {
        let tiles = { (0..<prepared.store.tileCount).filter(prepared.store.isSeparated).count }
        _ = eventually { tiles() >= cancelAfter || job.outcome != nil }
        job.cancel()
    }
    return job.wait()
}

@Suite struct StreamingSeparationTests {
    @Test func streamingNormalisationMatchesTheWholeTrackFigures() throws {
        let track = try syntheticTrack(seconds: 2.5)
        let left = track.mix.channel(0)
        let right = track.mix.channel(1)
        let mono = (0..<track.frameCount).map { (Double(left[$0]) + Double(right[$0])) / 2 }
        let mean = mono.reduce(0, +) / Double(mono.count)
        let std = (mono.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(mono.count - 1)).squareRoot()
        let normalisation = track.normalisedMix().normalisation
        #expect(abs(Double(normalisation.mean) - mean) <= 1e-7)
        #expect(abs(Double(normalisation.std) - std) / std <= 1e-6)
    }

    @Test("Separating from wherever the listener jumps fills the store exactly as an in-order run does", arguments: [0, 1])
    func outOfOrderSeparationEqualsInOrder(shifts: Int) throws {
        let model = try smallModel(shifts: shifts)
        let track = try syntheticTrack(seconds: 3)
        let inOrder = try model.prepareStems(for: track, warn: { _ in })
        #expect(fill(inOrder, track: track, model: model).isFinished)

        // Start at 2 s, then jump back to 0.5 s while that tile's first segment is computed.
        let jumped = try model.prepareStems(for: track, warn: { _ in })
        let asked = Guarded(0)
        let outcome = fill(jumped, track: track, model: model) {
            asked.withLock { count in
                count += 1
                return count <= 2 ? 88_200 : 22_050
            }
        }
        #expect(outcome.isFinished)
        #expect(jumped.store.isComplete)
        #expect(jumped.store.isSeparated(tile: jumped.store.tileCount - 1))
        #expect(everything(jumped.store) == everything(inOrder.store))
    }

    @Test func anInterruptedSeparationResumesWithItsFinishedTilesAndEndsAsAnUninterruptedOne() throws {
        let folder = try ScratchFolder()
        let cache = StemCache(directory: folder.url)
        let model = try smallModel(cache: cache)
        let track = try syntheticTrack(seconds: 3)
        let reference = try smallModel().prepareStems(for: track, warn: { _ in })
        #expect(fill(reference, track: track, model: try smallModel()).isFinished)

        // The first run's partial entry stays locked while it lives: it ends before the second.
        let kept = try {
            let first = try model.prepareStems(for: track, warn: { _ in })
            #expect(first.resumedFrames == 0)
            #expect(fill(first, track: track, model: model, cancelAfter: 3).isCancelled)
            return (0..<first.store.tileCount).filter(first.store.isSeparated)
        }()
        #expect(kept.count >= 3 && kept.count < reference.store.tileCount)

        let second = try model.prepareStems(for: track, warn: { _ in })
        #expect((0..<second.store.tileCount).filter(second.store.isSeparated) == kept)
        #expect(second.resumedFrames == kept.count * second.store.tileFrames)
        #expect(second.resumeNotice(for: track)?.contains("resuming") == true)
        #expect(fill(second, track: track, model: model).isFinished)
        #expect(everything(second.store) == everything(reference.store))

        guard case .separation(let partial?) = second.origin else {
            Issue.record("expected a separation into a partial cache entry")
            return
        }
        #expect(model.finishCaching(partial) == nil)
        let cached = try model.prepareStems(for: track, warn: { _ in })
        #expect(cached.isFromCache)
        #expect(fill(cached, track: track, model: model).isFinished)
        let stems = everything(cached.store)
        let fresh = everything(reference.store)
        for (s, stem) in stems.enumerated() {
            var signal = 0.0
            var noise = 0.0
            for (c, channel) in stem.enumerated() {
                for (i, sample) in channel.enumerated() {
                    let exact = Double(fresh[s][c][i])
                    signal += exact * exact
                    noise += (Double(sample) - exact) * (Double(sample) - exact)
                }
            }
            #expect(noise == 0 || 10 * log10(signal / noise) >= 100, "stem \(s)")
        }
    }

    @Test("Stems written block by block from the store are the bytes a whole-track write gives", arguments: [44_100, 48_000])
    func streamedExportEqualsTheWholeTrackExport(sourceRate: Int) throws {
        let folder = try ScratchFolder()
        let model = try smallModel()
        let track = try syntheticTrack(seconds: 2, sourceRate: sourceRate)
        let prepared = try model.prepareStems(for: track, warn: { _ in })
        #expect(fill(prepared, track: track, model: model).isFinished)
        let store = prepared.store

        let whole = try track.prepareForWriting(everything(store), clip: .rescale)
        let directory = folder.url
        let job = JobGroup().start("writing") { context in
            for (s, buffer) in whole.enumerated() {
                try AudioOutput.write(
                    buffer, to: directory.appendingPathComponent("whole\(s).wav"), format: .wav24, context: context)
            }
            try AudioOutput.writeStreamed(
                (0..<store.stemCount).map { stem in
                    StreamedOutput(url: directory.appendingPathComponent("streamed\(stem).wav")) {
                        store.channels(ofStem: stem, in: $0)
                    }
                },
                of: track, format: .wav24, clip: .rescale, context: context)
        }
        #expect(job.wait().isFinished)
        for s in 0..<store.stemCount {
            let streamed = try Data(contentsOf: folder.url.appendingPathComponent("streamed\(s).wav"))
            #expect(streamed == (try Data(contentsOf: folder.url.appendingPathComponent("whole\(s).wav"))))
        }
    }
}
