import Foundation
import Testing

@testable import Demucs

/// Whole-track separation against `demucs.apply.apply_model`.
@Suite struct SeparationParityTests {
    @Test func splitWithOverlapMatchesApplyModel() throws {
        let model = try HTDemucs.load(contentsOf: Fixtures.checkpoint(in: "small_forward"))
        let io = try Fixtures.tensors("small_apply/io.safetensors")
        let mix = try #require(io["input"])
        #expect(mix.shape[1] > 3 * model.config.segmentLength, "the fixture track must span at least three segments")
        let separator = try Separator(bag: ModelBag(model))
        expectStemsMatch(try separateWhole(separator, mix: mix), try #require(io["output"]), sources: model.config.sources)
    }

    @Test func shiftedPassMatchesApplyModelWithTheSameOffset() throws {
        let model = try HTDemucs.load(contentsOf: Fixtures.checkpoint(in: "small_forward"))
        let io = try Fixtures.tensors("small_apply/io.safetensors")
        let manifest = try JSONSerialization.jsonObject(
            with: Data(contentsOf: Fixtures.url("small_apply/manifest.json"))) as! [String: Any]
        let shift = try #require(manifest["shifts1"] as? [String: Any])
        var options = SeparationOptions()
        options.shifts = 1
        options.shiftOffsets = [try #require(shift["offset"] as? Int)]
        let separator = try Separator(bag: ModelBag(model), options: options)
        expectStemsMatch(
            try separateWhole(separator, mix: try #require(io["input"])), try #require(io["output_shifts1"]),
            sources: model.config.sources)
    }

    @Test func weightedBagMatchesApplyModel() throws {
        let manifest = try JSONSerialization.jsonObject(
            with: Data(contentsOf: Fixtures.url("small_bag/manifest.json"))) as! [String: Any]
        let files = try #require(manifest["model_files"] as? [String])
        let weights = try #require(manifest["bag_weights"] as? [[Double]])
        let models = try files.map { try HTDemucs.load(contentsOf: Fixtures.url("small_bag/\($0)")) }
        let bag = try ModelBag(models: models, weights: weights.map { $0.map(Float.init) })
        let io = try Fixtures.tensors("small_bag/io.safetensors")
        let separator = try Separator(bag: bag)
        expectStemsMatch(
            try separateWhole(separator, mix: try #require(io["input"])), try #require(io["output"]), sources: bag.sources)
    }

    @Test func spansArriveBeforeTheTrackIsFinished() throws {
        let model = try HTDemucs.load(contentsOf: Fixtures.checkpoint(in: "small_forward"))
        let mix = try #require(try Fixtures.tensors("small_apply/io.safetensors")["input"])
        var progressAtSpans: [Int] = []
        var done = 0
        try Separator(bag: ModelBag(model)).run(
            mix: mix, onProgress: { done = $0.segmentsDone }, onSpan: { _ in progressAtSpans.append(done) })
        #expect(progressAtSpans.count > 1)
        #expect(progressAtSpans.first! < done, "the first span must come before the last segment is computed")
    }

    @Test func cancellingStopsBetweenSegments() throws {
        let model = try HTDemucs.load(contentsOf: Fixtures.checkpoint(in: "small_forward"))
        let mix = try #require(try Fixtures.tensors("small_apply/io.safetensors")["input"])
        var segments = 0
        #expect(throws: SeparationCancelled.self) {
            try Separator(bag: ModelBag(model)).run(
                mix: mix, isCancelled: { segments >= 2 }, onProgress: { segments = $0.segmentsDone }, onSpan: { _ in })
        }
        #expect(segments == 2)
    }
}
