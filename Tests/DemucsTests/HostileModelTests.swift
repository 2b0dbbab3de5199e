import Foundation
import ModelFiles
import Testing

@testable import Demucs

/// Model files written by strangers: every absurd value is refused with an error that
/// names it, before anything is allocated, and never traps.
@Suite struct HostileModelTests {
    /// One hostile keyword argument and the key the error must name.
    struct Hostile: Sendable, CustomTestStringConvertible {
        let key: String
        let value: PickleValue
        var testDescription: String { "\(key)=\(value)" }
    }

    static func fixtureKwargs() throws -> [String: PickleValue] {
        try TorchCheckpoint.load(contentsOf: Fixtures.checkpoint(in: "small_forward")).kwargs
    }

    /// The error from reading `kwargs` and building a model of them on the fixture's tensors.
    static func refusal(_ kwargs: [String: PickleValue]) throws -> DemucsError? {
        let tensors = try CheckpointValidationTests.state("small_forward").1
        do {
            _ = try HTDemucs(config: HTDemucsConfig(kwargs: kwargs), tensors: tensors)
            return nil
        } catch let error as DemucsError {
            return error
        }
    }

    static let hostileValues: [Hostile] = [
        Hostile(key: "t_heads", value: .int(0)),
        Hostile(key: "t_heads", value: .int(-8)),
        Hostile(key: "t_heads", value: .int(3)),
        Hostile(key: "dconv_comp", value: .int(0)),
        Hostile(key: "dconv_comp", value: .int(1000)),
        Hostile(key: "segment", value: .float(.nan)),
        Hostile(key: "segment", value: .float(.infinity)),
        Hostile(key: "segment", value: .float(1e300)),
        Hostile(key: "segment", value: .fraction(numerator: 1 << 62, denominator: 1)),
        Hostile(key: "segment", value: .fraction(numerator: Int.min, denominator: 1)),
        Hostile(key: "segment", value: .fraction(numerator: 1, denominator: 0)),
        Hostile(key: "segment", value: .fraction(numerator: 1, denominator: 44100)),
        Hostile(key: "growth", value: .float(.nan)),
        Hostile(key: "growth", value: .float(.infinity)),
        Hostile(key: "growth", value: .float(1e300)),
        Hostile(key: "t_hidden_scale", value: .float(.nan)),
        Hostile(key: "t_hidden_scale", value: .float(.infinity)),
        Hostile(key: "t_hidden_scale", value: .float(1e300)),
        Hostile(key: "samplerate", value: .int(1 << 62)),
        Hostile(key: "samplerate", value: .int(0)),
        Hostile(key: "depth", value: .int(1_000_000)),
        Hostile(key: "depth", value: .int(0)),
        Hostile(key: "channels", value: .int(1 << 40)),
        Hostile(key: "nfft", value: .int(1 << 40)),
        Hostile(key: "nfft", value: .int(4098)),
        Hostile(key: "audio_channels", value: .int(1_000_000_000)),
        Hostile(key: "kernel_size", value: .int(1 << 40)),
        Hostile(key: "stride", value: .int(0)),
        Hostile(key: "context", value: .int(-1)),
        Hostile(key: "norm_groups", value: .int(0)),
        Hostile(key: "norm_groups", value: .int(3)),
        Hostile(key: "norm_starts", value: .int(-1)),
        Hostile(key: "dconv_depth", value: .int(100)),
        Hostile(key: "dconv_mode", value: .int(7)),
        Hostile(key: "bottom_channels", value: .int(1 << 40)),
        Hostile(key: "t_layers", value: .int(1_000_000)),
        Hostile(key: "t_max_period", value: .float(.nan)),
        Hostile(key: "t_weight_pos_embed", value: .float(.infinity)),
        Hostile(key: "freq_emb", value: .float(.nan)),
        Hostile(key: "emb_scale", value: .float(-.infinity)),
    ]

    @Test(arguments: hostileValues)
    func aHostileKeywordArgumentIsRefusedNamingKeyAndValue(_ hostile: Hostile) throws {
        var kwargs = try Self.fixtureKwargs()
        kwargs[hostile.key] = hostile.value
        let error = try #require(try Self.refusal(kwargs), "\(hostile) was accepted")
        guard case .invalidConfiguration(let key, let reason) = error else {
            Issue.record("expected invalidConfiguration, got \(error)")
            return
        }
        #expect(key == hostile.key)
        if case .int(let value) = hostile.value { #expect(reason.contains("\(value)")) }
        if case .float(let value) = hostile.value { #expect(reason.contains("\(value)")) }
    }

    @Test func aModelBeyondTheParameterBudgetIsRefusedBeforeAllocation() throws {
        var kwargs = try Self.fixtureKwargs()
        kwargs["channels"] = .int(1024)
        let error = try Self.refusal(kwargs)
        guard case .invalidConfiguration("channels", let reason) = error else {
            Issue.record("expected a refusal of 'channels', got \(String(describing: error))")
            return
        }
        #expect(reason.contains("parameters"))
    }

    static let hostileSources: [[String]] = [
        ["../../../ESC_drums", "bass", "other", "vocals"],
        ["", "bass", "other", "vocals"],
        ["a/b", "bass", "other", "vocals"],
        ["drums", "bass", "drums", "vocals"],
        ["drums", "bass", "other", ".hidden"],
        ["drums", "bass", "other", "vo cals"],
        ["drüms", "bass", "other", "vocals"],
        [String(repeating: "x", count: 65), "bass", "other", "vocals"],
    ]

    @Test(arguments: hostileSources)
    func aSourceThatIsNotAStemNameIsRefused(_ sources: [String]) throws {
        var kwargs = try Self.fixtureKwargs()
        kwargs["sources"] = .list(sources.map { .string($0) })
        let error = try Self.refusal(kwargs)
        guard case .invalidConfiguration(let key, _) = error else {
            Issue.record("expected invalidConfiguration, got \(String(describing: error))")
            return
        }
        #expect(key == "sources")
    }

    @Test func stemNamesOfLettersDigitsUnderscoresAndDashesAreAccepted() throws {
        var kwargs = try Self.fixtureKwargs()
        kwargs["sources"] = .list(["Drums_1", "bass-2", "other", String(repeating: "v", count: 64)].map { .string($0) })
        #expect(try Self.refusal(kwargs) == nil)
    }

    @Test func everyOfficialConfigurationIsValid() throws {
        var htdemucs = HTDemucsConfig(sources: ["drums", "bass", "other", "vocals"])
        htdemucs.segment = .init(numerator: 39, denominator: 5)
        htdemucs.bottomChannels = 512
        htdemucs.dconvMode = 3
        try htdemucs.validate()
        var sixStems = htdemucs
        sixStems.sources += ["guitar", "piano"]
        try sixStems.validate()
        var demo = HTDemucsConfig(sources: htdemucs.sources)
        demo.segment = .init(numerator: 3, denominator: 1)
        demo.channels = 16
        demo.tLayers = 2
        try demo.validate()
        for folder in ["small_forward", "small_6s"] { try CheckpointValidationTests.state(folder).0.validate() }
    }

    /// The safetensors tensors whose sizes the configuration is inferred from.
    static let inferenceTensors = [
        "encoder.0.conv.weight", "encoder.1.conv.weight", "decoder.3.conv_tr.weight", "channel_upsampler.weight",
        "crosstransformer.layers.0.linear1.weight", "encoder.0.dconv.layers.0.0.weight",
    ]

    @Test(arguments: inferenceTensors)
    func aSafetensorsTensorOfTheWrongRankIsNamed(_ name: String) throws {
        var tensors = try CheckpointValidationTests.state("small_forward").1
        tensors[name] = Tensor(shape: [1], values: [0])
        do {
            _ = try HTDemucsConfig(inferredFrom: tensors, metadata: [:])
            Issue.record("a rank-1 '\(name)' was accepted")
        } catch DemucsError.incompatibleWeights(_, let problems) {
            #expect(problems.count == 1 && problems[0].contains("'\(name)'"), "\(problems)")
        }
    }

    @Test(arguments: [
        ["sources": "drums,../bass,other,vocals"], ["sources": "drums,,other,vocals"], ["segment": "nan"],
        ["segment": "1e300"], ["segment": "ten"], ["t_heads": "0"], ["t_heads": "many"],
    ])
    func hostileSafetensorsMetadataIsRefused(_ metadata: [String: String]) throws {
        let tensors = try CheckpointValidationTests.state("small_forward").1
        #expect {
            _ = try HTDemucs(config: HTDemucsConfig(inferredFrom: tensors, metadata: metadata), tensors: tensors)
        } throws: { error in
            guard case DemucsError.invalidConfiguration(let key, _) = error else { return false }
            return metadata.keys.contains(key)
        }
    }

    /// Bag weights come from a manifest or a bag file: they must be finite and not negative.
    @Test(arguments: [Float.nan, .infinity, -1])
    func aBagWeightThatIsNotFiniteAndNonNegativeIsRefused(_ weight: Float) throws {
        let model = try HTDemucs.load(contentsOf: Fixtures.checkpoint(in: "small_forward"))
        #expect(throws: DemucsError.self) { _ = try ModelBag(models: [model], weights: [[1, 1, weight, 1]]) }
    }
}
