import Foundation
import Testing

@testable import Demucs

/// The Swift forward pass against PyTorch on models with random weights that make every
/// block matter (see scripts/make_fixtures.py).
@Suite struct ForwardParityTests {
    /// The hooks captured by the fixture script that the Swift trace also names.
    static let bisectedLayers: [String] =
        ["encoder.0.in", "tencoder.0.in"]
        + (0..<4).flatMap { ["encoder.\($0).out", "tencoder.\($0).out"] }
        + ["channel_upsampler.out", "channel_upsampler_t.out", "crosstransformer.out0", "crosstransformer.out1",
           "channel_downsampler.out", "channel_downsampler_t.out"]
        + (0..<4).flatMap { ["decoder.\($0).out0", "tdecoder.\($0).out0"] }

    @Test func smallModelMatchesPyTorchLayerByLayer() throws {
        let model = try HTDemucs.load(contentsOf: Fixtures.checkpoint(in: "small_forward"))
        let io = try Fixtures.tensors("small_forward/io.safetensors")
        let input = try #require(io["input"])
        var traced: [String: Tensor] = [:]
        let output = try model.separate(segment: input.reshaped(Array(input.shape.dropFirst()))) { name, tensor in
            traced[name] = tensor
        }
        for name in Self.bisectedLayers {
            let reference = try #require(io["hook.\(name)"], "fixture lacks hook.\(name)")
            let actual = try #require(traced[name], "the forward pass did not trace \(name)")
            #expect(actual.count == reference.count, "\(name): \(actual.shape) vs \(reference.shape)")
            guard actual.count == reference.count else { continue }
            let agreement = Agreement(reference: reference.values, actual: actual.values)
            #expect(agreement.snr >= 60, "\(name) diverges: \(agreement)")
        }
        let reference = try #require(io["output"])
        expectStemsMatch(output, reference.reshaped(Array(reference.shape.dropFirst())), sources: model.config.sources)
    }

    @Test func sixSourceModelWithoutBottomChannelsMatchesPyTorch() throws {
        let model = try HTDemucs.load(contentsOf: Fixtures.checkpoint(in: "small_6s"))
        #expect(model.sourceCount == 6)
        #expect(model.config.bottomChannels == 0)
        let io = try Fixtures.tensors("small_6s/io.safetensors")
        let input = try #require(io["input"])
        let output = try model.separate(segment: input.reshaped(Array(input.shape.dropFirst())))
        let reference = try #require(io["output"])
        expectStemsMatch(output, reference.reshaped(Array(reference.shape.dropFirst())), sources: model.config.sources)
    }
}
