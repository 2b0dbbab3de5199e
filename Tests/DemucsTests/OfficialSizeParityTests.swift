import Foundation
import Testing

@testable import Demucs

private let officialFixtures = ProcessInfo.processInfo.environment["DEMIXER_OFFICIAL_FIXTURES"].map(
    URL.init(fileURLWithPath:))

/// Parity at the official `htdemucs` size (random weights, 84 MB checkpoint, too big to
/// commit). Generate with `python scripts/make_fixtures.py --official --out DIR` and run
/// with `DEMIXER_OFFICIAL_FIXTURES=DIR swift test -c release --filter OfficialSize`.
@Suite(.enabled(if: officialFixtures != nil, "set DEMIXER_OFFICIAL_FIXTURES to run"))
struct OfficialSizeParityTests {
    static let folder = officialFixtures

    static func model() throws -> HTDemucs {
        let forward = folder!.appendingPathComponent("official_forward")
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: forward.path).first { $0.hasSuffix(".th") })
        return try HTDemucs.load(contentsOf: forward.appendingPathComponent(name))
    }

    static func tensors(_ relative: String) throws -> [String: Tensor] {
        try Fixtures.tensors(at: folder!.appendingPathComponent(relative))
    }

    @Test func officialConfigurationForwardMatchesPyTorch() throws {
        let model = try Self.model()
        #expect(model.config.segmentLength == 343_980)
        let io = try Self.tensors("official_forward/io.safetensors")
        let input = try #require(io["input"])
        let output = try model.separate(segment: input.reshaped(Array(input.shape.dropFirst())))
        let reference = try #require(io["output"])
        expectStemsMatch(output, reference.reshaped(Array(reference.shape.dropFirst())), sources: model.config.sources)
    }

    @Test func officialConfigurationTrackMatchesApplyModel() throws {
        let model = try Self.model()
        let io = try Self.tensors("official_apply/io.safetensors")
        let output = try separateWhole(Separator(bag: ModelBag(model)), mix: try #require(io["input"]))
        expectStemsMatch(output, try #require(io["output"]), sources: model.config.sources)
    }
}
