import Foundation
import Testing
@testable import ModelFiles

@Suite("Torch checkpoints made by torch.save")
struct TorchCheckpointTests {
    let tiny = fixtures.appendingPathComponent("tiny-bb282c7f.th")

    @Test func demucsPackageGivesClassKwargsAndTrainingArgs() throws {
        let checkpoint = try TorchCheckpoint.load(contentsOf: tiny)
        #expect(checkpoint.klass == "demucs.htdemucs.HTDemucs")
        #expect(checkpoint.args.isEmpty)
        let kwargs = checkpoint.kwargs
        #expect(kwargs["sources"] == .list(["drums", "bass", "other", "vocals"].map(PickleValue.string)))
        #expect(kwargs["audio_channels"] == .int(2))
        #expect(kwargs["samplerate"] == .int(44100))
        #expect(kwargs["segment"] == .fraction(numerator: 39, denominator: 5))
        #expect(kwargs["segment"]?.doubleValue == 7.8)
        #expect(kwargs["cac"] == .bool(true))
        #expect(kwargs["wiener_residual"] == .bool(false))
        #expect(kwargs["rescale"] == .float(0.1))
        #expect(kwargs["dconv_kw"] == .dict([]))
        #expect(kwargs["emb_scale"] == PickleValue.none)
        #expect(kwargs["pair"] == .tuple([.int(1), .string("two"), .float(3)]))
        #expect(kwargs["big"] == .int(1 << 40))
        #expect(kwargs["negative"] == .int(-129))
        #expect(checkpoint.trainingArgs["epochs"] == .int(360))
        #expect(checkpoint.trainingArgs["optim"]?["name"] == .string("adam"))
        #expect(checkpoint.trainingArgs["dset"] == .list([.string("musdb")]))
    }

    @Test func halfTensorsAreConvertedToFloat() throws {
        let state = try TorchCheckpoint.load(contentsOf: tiny).state
        #expect(Set(state.keys) == [
            "conv.weight", "conv.bias", "norm.weight", "norm.bias",
            "extra.f32", "extra.bf16", "extra.view", "extra.scalar", "extra.special",
        ])
        let weight = try #require(state["conv.weight"])
        #expect(weight.shape == [3, 2, 2])
        #expect(weight.sourceType == .float16)
        #expect(weight.values == ramp(12))
        #expect(state["conv.bias"]?.values == ramp(3, 0.5, 1))
        #expect(state["norm.bias"]?.values == ramp(3, -1, 0))
    }

    @Test func floatBFloatOffsetAndScalarTensorsAreRead() throws {
        let state = try TorchCheckpoint.load(contentsOf: tiny).state
        #expect(state["extra.f32"]?.sourceType == .float32)
        #expect(state["extra.f32"]?.values == ramp(4, 0.1, 0))
        #expect(state["extra.bf16"] == StoredTensor(shape: [4], values: ramp(4, 0.5, -1), sourceType: .bfloat16))
        #expect(state["extra.view"] == StoredTensor(shape: [2, 3], values: ramp(6, 1, 3)))
        #expect(state["extra.scalar"] == StoredTensor(shape: [], values: [3.5], sourceType: .float16))
    }

    @Test func specialHalfValuesSurviveConversion() throws {
        let values = try #require(try TorchCheckpoint.load(contentsOf: tiny).state["extra.special"]).values
        #expect(values[0] == .infinity)
        #expect(values[1] == -.infinity)
        #expect(values[2].isNaN)
        #expect(values[3] == 0 && values[3].sign == .minus)
        #expect(values[4] == 65504)
        #expect(values[5] == 0x1p-24)
        #expect(values[6] == 0x1p-14)
        #expect(values[7] == -0x1p-20)
    }

    @Test func bareStateDictHasNoClass() throws {
        let checkpoint = try TorchCheckpoint.load(contentsOf: fixtures.appendingPathComponent("plain_state.th"))
        #expect(checkpoint.klass == "")
        #expect(checkpoint.kwargs.isEmpty)
        #expect(checkpoint.state.count == 4)
        #expect(checkpoint.state["conv.weight"] == StoredTensor(shape: [3, 2, 2], values: ramp(12)))
    }

    @Test func transposedTensorIsRefusedAsNonContiguous() {
        let url = fixtures.appendingPathComponent("transposed.th")
        #expect(problem { _ = try TorchCheckpoint.load(contentsOf: url) }
            == .nonContiguous(tensor: "w", shape: [2, 3], stride: [1, 2]))
    }

    @Test func int64StorageIsAForbiddenGlobal() {
        let url = fixtures.appendingPathComponent("int64.th")
        #expect(problem { _ = try TorchCheckpoint.load(contentsOf: url) }
            == .forbiddenGlobal(module: "torch", name: "LongStorage"))
    }

    @Test func errorNamesTheFile() throws {
        let url = fixtures.appendingPathComponent("int64.th")
        do {
            _ = try TorchCheckpoint.load(contentsOf: url)
            Issue.record("loaded a forbidden file")
        } catch {
            #expect(error.file == "int64.th")
            #expect(error.description
                == "int64.th: pickle refers to global 'torch.LongStorage', which a demucs checkpoint never contains")
        }
    }
}

@Suite("sha256 prefix in official file names")
struct ChecksumTests {
    @Test func officialNamesGiveTheirPrefix() {
        #expect(ModelChecksum.expectedPrefix(forFileName: "955717e8-8726e21a.th") == "8726e21a")
        #expect(ModelChecksum.expectedPrefix(forFileName: "tiny-BB282C7F.th") == "bb282c7f")
        #expect(ModelChecksum.expectedPrefix(forFileName: "model.th") == nil)
        #expect(ModelChecksum.expectedPrefix(forFileName: "model-1234.th") == nil)
        #expect(ModelChecksum.expectedPrefix(forFileName: "a-8726e21a.safetensors") == nil)
    }

    @Test func rightPrefixPasses() throws {
        _ = try TorchCheckpoint.load(contentsOf: fixtures.appendingPathComponent("tiny-bb282c7f.th"))
    }

    @Test func wrongPrefixIsRefusedWithBothDigests() throws {
        let bytes = try [UInt8](Data(contentsOf: fixtures.appendingPathComponent("tiny-bb282c7f.th")))
        let found = loadCheckpoint(bytes, name: "tiny-00000000.th")
        guard case .checksumMismatch(let expected, let actual)? = found else {
            Issue.record("expected a checksum mismatch, got \(String(describing: found))")
            return
        }
        #expect(expected == "00000000")
        #expect(actual.hasPrefix("bb282c7f") && actual.count == 64)
    }
}

@Suite("fp16 and bf16 conversion")
struct ConversionTests {
    func convert(_ bits: [UInt16], _ type: ElementType) -> [Float] {
        let bytes = bits.flatMap { Bytes.le($0) }
        return bytes.withUnsafeBytes { floats(from: $0, as: type) }
    }

    @Test func halfSpecialValues() {
        let values = convert([0x7C00, 0xFC00, 0x7E00, 0x8000, 0x7BFF, 0x0001, 0x03FF, 0x0400, 0x3C00, 0xC000], .float16)
        #expect(values[0] == .infinity)
        #expect(values[1] == -.infinity)
        #expect(values[2].isNaN)
        #expect(values[3] == 0 && values[3].sign == .minus)
        #expect(values[4] == 65504)
        #expect(values[5] == 0x1p-24)
        #expect(values[6] == 1023 * 0x1p-24)
        #expect(values[7] == 0x1p-14)
        #expect(values[8] == 1)
        #expect(values[9] == -2)
    }

    @Test func everyHalfBitPatternWidensLikeTheStandardLibrary() {
        let all = (0...UInt16.max).map { $0 }
        for (bits, value) in zip(all, convert(all, .float16)) {
            let expected = Float(Float16(bitPattern: bits))
            #expect(value.bitPattern == expected.bitPattern || (value.isNaN && expected.isNaN), "0x\(String(bits, radix: 16))")
        }
    }

    @Test func bfloat16IsTheHighHalfOfFloat() {
        #expect(convert([0x3F80, 0xC040, 0x7F80, 0x0001], .bfloat16)
            == [1, -3, .infinity, Float(bitPattern: 0x0001_0000)])
    }
}
