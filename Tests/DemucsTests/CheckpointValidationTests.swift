import Foundation
import ModelFiles
import Testing

@testable import Demucs

/// Loading checks: a checkpoint must match the architecture its own kwargs describe.
@Suite struct CheckpointValidationTests {
    static func state(_ folder: String) throws -> (HTDemucsConfig, [String: Tensor]) {
        let checkpoint = try TorchCheckpoint.load(contentsOf: Fixtures.checkpoint(in: folder))
        return (
            try HTDemucsConfig(kwargs: checkpoint.kwargs),
            checkpoint.state.mapValues { Tensor(shape: $0.shape, values: $0.values) }
        )
    }

    static func problems(_ body: () throws -> Void) -> [String] {
        do {
            try body()
        } catch DemucsError.incompatibleWeights(_, let problems) {
            return problems
        } catch {
            Issue.record("unexpected error \(error)")
        }
        return []
    }

    @Test func checkpointOfAnotherModelListsWhatIsMissingAndMisshaped() throws {
        let (config, _) = try Self.state("small_forward")
        let (_, otherTensors) = try Self.state("small_6s")
        let problems = Self.problems { _ = try HTDemucs(config: config, tensors: otherTensors) }
        #expect(problems.contains { $0.contains("has shape") && $0.contains("expected") })
        #expect(problems.contains { $0.hasPrefix("missing tensor 'channel_upsampler.weight'") })
        #expect(problems.count > 10)
    }

    @Test func aMissingTensorIsNamedWithItsShape() throws {
        var (config, tensors) = try Self.state("small_forward")
        tensors["crosstransformer.layers.1.cross_attn.in_proj_weight"] = nil
        config.tLayers = 5
        let problems = Self.problems { _ = try HTDemucs(config: config, tensors: tensors) }
        #expect(problems == ["missing tensor 'crosstransformer.layers.1.cross_attn.in_proj_weight' of shape [96, 32]"])
    }

    @Test func aLeftOverTensorIsReported() throws {
        var (config, tensors) = try Self.state("small_forward")
        tensors["encoder.9.conv.weight"] = Tensor(zeros: [1])
        let problems = Self.problems { _ = try HTDemucs(config: config, tensors: tensors) }
        #expect(problems == ["unexpected tensor 'encoder.9.conv.weight'"])
    }

    @Test func unknownKeywordArgumentsAreRefused() throws {
        let checkpoint = try TorchCheckpoint.load(contentsOf: Fixtures.checkpoint(in: "small_forward"))
        var kwargs = checkpoint.kwargs
        kwargs["lstm_layers"] = .int(2)
        #expect(throws: DemucsError.invalidConfiguration(key: "lstm_layers", reason: "not an HTDemucs argument Demixer knows")) {
            _ = try HTDemucsConfig(kwargs: kwargs)
        }
    }

    @Test func officialSegmentIsReadAsAnExactFraction() throws {
        let (config, _) = try Self.state("small_forward")
        #expect(config.segment == HTDemucsConfig.Segment(numerator: 1, denominator: 2))
        var official = HTDemucsConfig(sources: ["drums", "bass", "other", "vocals"])
        official.segment = .init(numerator: 39, denominator: 5)
        #expect(official.segmentLength == 343_980)
    }

    @Test func aBareStateDictIsRefusedWithTheReason() throws {
        let plain = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("ModelFilesTests/Fixtures/plain_state.th")
        #expect {
            _ = try HTDemucs.load(contentsOf: plain)
        } throws: { error in
            "\(error)".contains("bare state dict")
        }
    }

    @Test func aTamperedCheckpointFailsItsChecksum() throws {
        let original = try Fixtures.checkpoint(in: "small_forward")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var bytes = try Data(contentsOf: original)
        bytes[bytes.count / 2] ^= 0x40
        let copy = directory.appendingPathComponent(original.lastPathComponent)
        try bytes.write(to: copy)
        #expect(throws: ModelFileError.self) { _ = try HTDemucs.load(contentsOf: copy) }
    }

    @Test func safetensorsConversionSeparatesLikeTheCheckpoint() throws {
        let url = try Fixtures.checkpoint(in: "small_forward")
        let checkpoint = try TorchCheckpoint.load(contentsOf: url)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let converted = directory.appendingPathComponent("small.safetensors")
        try SafetensorsFile.write(
            tensors: checkpoint.state, metadata: ["segment": "0.5", "t_heads": "4"], to: converted)

        let reference = try HTDemucs.load(contentsOf: url)
        let model = try HTDemucs.load(contentsOf: converted)
        #expect(model.config == reference.config)
        let input = try #require(try Fixtures.tensors("small_forward/io.safetensors")["input"])
        let mix = input.reshaped(Array(input.shape.dropFirst()))
        #expect(try model.separate(segment: mix) == reference.separate(segment: mix))
    }
}
