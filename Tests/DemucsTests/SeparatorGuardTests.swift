import Foundation
import Testing

@testable import Demucs

/// The separator's own guards: absurd options are refused with their valid range, and a
/// broken model's NaN or infinite output is counted and silenced, never passed on.
@Suite struct SeparatorGuardTests {
    /// One option set and the key its refusal must name.
    struct Absurd: Sendable, CustomTestStringConvertible {
        let key: String
        var overlap = 0.25
        var shifts = 0
        var transitionPower = 1.0
        var segmentSeconds: Double? = nil
        var testDescription: String {
            "\(key): overlap \(overlap), shifts \(shifts), power \(transitionPower), segment \(String(describing: segmentSeconds))"
        }
        var options: SeparationOptions {
            var options = SeparationOptions()
            options.overlap = overlap
            options.shifts = shifts
            options.transitionPower = transitionPower
            options.segmentSeconds = segmentSeconds
            return options
        }
    }

    static let absurdOptions: [Absurd] = [
        Absurd(key: "segment", overlap: 0, segmentSeconds: 0.00003),
        Absurd(key: "segment", segmentSeconds: .nan),
        Absurd(key: "segment", segmentSeconds: .infinity),
        Absurd(key: "segment", segmentSeconds: 1e300),
        Absurd(key: "segment", segmentSeconds: 0),
        Absurd(key: "segment", segmentSeconds: 0.4),
        Absurd(key: "segment", segmentSeconds: 0.6),
        Absurd(key: "overlap", overlap: 0.95),
        Absurd(key: "overlap", overlap: -0.1),
        Absurd(key: "overlap", overlap: .nan),
        Absurd(key: "shifts", shifts: 21),
        Absurd(key: "shifts", shifts: 1_000_000),
        Absurd(key: "shifts", shifts: -1),
        Absurd(key: "transition_power", transitionPower: .nan),
        Absurd(key: "transition_power", transitionPower: .infinity),
        Absurd(key: "transition_power", transitionPower: 0.5),
    ]

    @Test(arguments: absurdOptions)
    func anAbsurdOptionIsRefusedWithItsValidRange(_ absurd: Absurd) throws {
        let bag = ModelBag(try HTDemucs.load(contentsOf: Fixtures.checkpoint(in: "small_forward")))
        #expect {
            _ = try Separator(bag: bag, options: absurd.options)
        } throws: { error in
            guard case DemucsError.invalidConfiguration(let key, let reason) = error else { return false }
            return key == absurd.key && reason.contains("...")
        }
    }

    @Test func optionsAtTheEdgesOfTheirRangesAreAccepted() throws {
        let bag = ModelBag(try HTDemucs.load(contentsOf: Fixtures.checkpoint(in: "small_forward")))
        var options = SeparationOptions()
        options.overlap = 0.9
        options.shifts = 20
        options.transitionPower = 4
        options.segmentSeconds = 0.5
        _ = try Separator(bag: bag, options: options)
        options.overlap = 0
        _ = try Separator(bag: bag, options: options)
    }

    @Test func aNaNWeightGivesCountedSilenceInsteadOfNaNSamples() throws {
        let (config, fixture) = try CheckpointValidationTests.state("small_forward")
        var tensors = fixture
        // The bias of the last time decoder's first output row: source 0, channel 0.
        let name = "tdecoder.\(config.depth - 1).conv_tr.bias"
        var bias = try #require(tensors[name])
        bias.values[0] = .nan
        tensors[name] = bias
        let separator = try Separator(bag: ModelBag(HTDemucs(config: config, tensors: tensors)))

        let frames = config.segmentLength * 2 + 123
        let mix = Tensor(
            shape: [2, frames], values: (0..<(2 * frames)).map { Float(sin(Double($0 % frames) * 0.05 + Double($0 / frames))) })
        var nonFinite = 0
        var stems = config.sources.map { _ in [[Float]](repeating: [], count: 2) }
        try separator.run(mix: mix) { span in
            nonFinite += span.nonFiniteSamples
            for (s, stem) in span.stems.enumerated() {
                for c in 0..<2 { stems[s][c] += stem.values[(c * span.frameCount)..<((c + 1) * span.frameCount)] }
            }
        }
        #expect(nonFinite == frames)
        #expect(stems[0][0].allSatisfy { $0 == 0 })
        for s in stems.indices {
            for c in 0..<2 where (s, c) != (0, 0) {
                #expect(stems[s][c].allSatisfy(\.isFinite) && stems[s][c].contains { $0 != 0 }, "stem \(s) channel \(c)")
            }
        }
    }
}
