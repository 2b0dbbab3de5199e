import Foundation
import Testing

@testable import Demucs

/// Separation tile by tile in any order: every tile is bit-identical to the in-order
/// run, and neighbouring tiles share their segments instead of computing them again.
@Suite struct TileSeparationTests {
    /// A separator setup and the mix it separates.
    struct Setup: Sendable, CustomTestStringConvertible {
        let name: String
        let make: @Sendable () throws -> Separator
        var testDescription: String { name }
    }

    /// Offsets of the two shifted passes, explicit so that their chunk counts are known.
    static let shiftOffsets = [14441, 3]

    static let setups: [Setup] = [
        Setup(name: "one model, no shifts") {
            try Separator(bag: ModelBag(HTDemucs.load(contentsOf: Fixtures.checkpoint(in: "small_forward"))))
        },
        Setup(name: "one model, two shifts") {
            var options = SeparationOptions()
            options.shifts = 2
            options.shiftOffsets = shiftOffsets
            return try Separator(
                bag: ModelBag(HTDemucs.load(contentsOf: Fixtures.checkpoint(in: "small_forward"))), options: options)
        },
        Setup(name: "weighted bag of two models") {
            let manifest =
                try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url("small_bag/manifest.json")))
                as! [String: Any]
            let files = try #require(manifest["model_files"] as? [String])
            let weights = try #require(manifest["bag_weights"] as? [[Double]])
            let models = try files.map { try HTDemucs.load(contentsOf: Fixtures.url("small_bag/\($0)")) }
            return try Separator(bag: ModelBag(models: models, weights: weights.map { $0.map(Float.init) }))
        },
    ]

    /// The fixture track of 3.37 segments: fourteen tiles, the last one shorter.
    static func mix() throws -> Tensor {
        try #require(try Fixtures.tensors("small_apply/io.safetensors")["input"])
    }

    /// Stems assembled from one run over the tiles in `order`, `[source][channel·frame]`,
    /// and the segments it computed; checks that each tile comes back as exactly one span
    /// covering exactly its frames.
    static func separate(
        _ separator: Separator, mix: Tensor, order: [Int]
    ) throws -> (stems: [[Float]], segments: Int) {
        let grid = separator.tileGrid(frameCount: mix.frameCount)
        let channels = mix.channelCount
        let length = mix.frameCount
        var stems = [[Float]](
            repeating: [Float](repeating: .nan, count: channels * length), count: separator.bag.sources.count)
        var spans = 0
        var segments = 0
        try separator.run(
            mix: mix,
            wantedTile: { spans < order.count ? order[spans] : nil },
            onProgress: { segments = $0.segmentsDone },
            onSpan: { span in
                guard spans < order.count else {
                    Issue.record("a span after the last tile")
                    return
                }
                let tile = order[spans]
                #expect(span.start..<(span.start + span.frameCount) == grid.range(of: tile), "tile \(tile)")
                assemble(span, into: &stems, length: length)
                spans += 1
            })
        #expect(spans == order.count)
        return (stems, segments)
    }

    /// Copies `span` into whole-track stems `[source][channel·frame]` of `length` frames.
    static func assemble(_ span: StemSpan, into stems: inout [[Float]], length: Int) {
        for (s, stem) in span.stems.enumerated() {
            for c in 0..<stem.shape[0] {
                for i in 0..<span.frameCount {
                    stems[s][c * length + span.start + i] = stem.values[c * span.frameCount + i]
                }
            }
        }
    }

    @Test(arguments: setups)
    func tilesInAnyOrderEqualTheInOrderRun(_ setup: Setup) throws {
        let separator = try setup.make()
        let mix = try Self.mix()
        let count = separator.tileGrid(frameCount: mix.frameCount).tileCount
        #expect(count >= 10)
        let inOrder = try Self.separate(separator, mix: mix, order: Array(0..<count)).stems
        var generator = SplitMix64(seed: 7)
        let orders = [
            Array((0..<count).reversed()),
            Array((count / 2)..<count) + Array(0..<(count / 2)),
            Array(0..<count).shuffled(using: &generator),
        ]
        for order in orders {
            let stems = try Self.separate(separator, mix: mix, order: order).stems
            #expect(stems == inOrder, "order \(order)")
        }
    }

    @Test(arguments: setups)
    func runsInOrderOrInReverseComputeEachSegmentOnce(_ setup: Setup) throws {
        let separator = try setup.make()
        let mix = try Self.mix()
        let maxShift = separator.bag.sampleRate / 2
        let delays = separator.options.shifts == 0 ? [0] : Self.shiftOffsets.map { maxShift - $0 }
        let chunks = separator.bag.models.indices.reduce(0) { total, m in
            let stride = separator.segmentStride(model: m)
            return total + delays.reduce(0) { $0 + (mix.frameCount + $1 + stride - 1) / stride }
        }
        let count = separator.tileGrid(frameCount: mix.frameCount).tileCount
        #expect(try Self.separate(separator, mix: mix, order: Array(0..<count)).segments == chunks)
        #expect(try Self.separate(separator, mix: mix, order: Array((0..<count).reversed())).segments == chunks)
    }

    /// How many segments of model 0's unshifted pass cover `tile`.
    static func segmentsCovering(_ tile: Int, separator: Separator, frameCount: Int) -> Int {
        let frames = separator.tileGrid(frameCount: frameCount).range(of: tile)
        let stride = separator.segmentStride(model: 0)
        let segment = separator.segmentLength(model: 0)
        let chunkCount = (frameCount + stride - 1) / stride
        return (0..<chunkCount).filter { i in
            i * stride < frames.upperBound && i * stride + segment > frames.lowerBound
        }.count
    }

    @Test func aJumpComputesOnlyTheSegmentsOfTheNewTile() throws {
        let separator = try Self.setups[0].make()
        let mix = try Self.mix()
        func chunks(of tile: Int) -> Int { Self.segmentsCovering(tile, separator: separator, frameCount: mix.frameCount) }
        #expect(try Self.separate(separator, mix: mix, order: [0, 9]).segments == chunks(of: 0) + chunks(of: 9))
        #expect(try Self.separate(separator, mix: mix, order: [7]).segments == chunks(of: 7))
    }

    @Test func tilesAreAsLongAsTheOverlapSoASegmentsMiddleNeedsItAlone() throws {
        // An overlap of a third: segments of 22 050 frames start every 14 700, so the
        // 7 350-frame tiles fall on the segments' edges.
        var options = SeparationOptions()
        options.overlap = 1.0 / 3
        let separator = try Separator(
            bag: ModelBag(HTDemucs.load(contentsOf: Fixtures.checkpoint(in: "small_forward"))), options: options)
        let mix = try Self.mix()
        let grid = separator.tileGrid(frameCount: mix.frameCount)
        #expect(grid.tileFrames == 7_350)
        #expect(grid.tileFrames == separator.segmentLength(model: 0) - separator.segmentStride(model: 0))
        for tile in 0..<grid.tileCount {
            let expected = tile % 2 == 0 && tile > 0 ? 2 : 1
            #expect(Self.segmentsCovering(tile, separator: separator, frameCount: mix.frameCount) == expected, "tile \(tile)")
        }
    }

    /// Runs `separator` over `mix` with `wish` (given how many times it was asked and the
    /// tiles delivered so far) as the caller's wish; returns the tiles in the order they
    /// came, the segments computed before the first span and in all, and the stems.
    static func follow(
        _ separator: Separator, mix: Tensor, wish: (_ asked: Int, _ delivered: [Int]) -> Int?
    ) throws -> (delivered: [Int], segmentsBeforeFirst: Int?, segments: Int, stems: [[Float]]) {
        let grid = separator.tileGrid(frameCount: mix.frameCount)
        var stems = [[Float]](
            repeating: [Float](repeating: .nan, count: mix.channelCount * mix.frameCount),
            count: separator.bag.sources.count)
        var asked = 0
        var delivered: [Int] = []
        var segmentsBeforeFirst: Int?
        var segments = 0
        try separator.run(
            mix: mix,
            wantedTile: {
                asked += 1
                return wish(asked, delivered)
            },
            onProgress: {
                segmentsBeforeFirst = segmentsBeforeFirst ?? $0.segmentsDone
                segments = $0.segmentsDone
            },
            onSpan: { span in
                delivered.append(grid.tile(containing: span.start))
                assemble(span, into: &stems, length: mix.frameCount)
            })
        return (delivered, segmentsBeforeFirst, segments, stems)
    }

    @Test func aWishForAFarTileMidSegmentGivesUpTheSegmentInFlight() throws {
        let separator = try Self.setups[0].make()
        let mix = try Self.mix()
        let count = separator.tileGrid(frameCount: mix.frameCount).tileCount
        let inOrder = try Self.separate(separator, mix: mix, order: Array(0..<count)).stems
        let last = count - 1
        // Tile 0 at first; from the third question on (inside tile 0's segment) the last
        // tile, then the rest in order.
        let run = try Self.follow(separator, mix: mix) { asked, delivered in
            if asked < 3 { return 0 }
            if !delivered.contains(last) { return last }
            return (0..<count).first { !delivered.contains($0) }
        }
        #expect(run.delivered.first == last)
        #expect(run.segmentsBeforeFirst == Self.segmentsCovering(last, separator: separator, frameCount: mix.frameCount))
        #expect(run.delivered.sorted() == Array(0..<count))
        #expect(run.stems == inOrder)
    }

    @Test func aWishForATileThatNeedsTheSegmentInFlightLetsItFinish() throws {
        let separator = try Self.setups[0].make()
        let mix = try Self.mix()
        let count = separator.tileGrid(frameCount: mix.frameCount).tileCount
        let (inOrder, chunks) = try Self.separate(separator, mix: mix, order: Array(0..<count))
        // Tile 0 at first, then tile 1, which segment 0 covers too.
        let run = try Self.follow(separator, mix: mix) { asked, delivered in
            let from = asked < 3 ? 0 : 1
            return (from..<count).first { !delivered.contains($0) } ?? (0..<count).first { !delivered.contains($0) }
        }
        #expect(run.delivered == Array(0..<count))
        #expect(run.segmentsBeforeFirst == 1)
        #expect(run.segments == chunks)
        #expect(run.stems == inOrder)
    }

    @Test func theInOrderRunReportsEveryTileInOrder() throws {
        let separator = try Self.setups[0].make()
        let mix = try Self.mix()
        var reports: [SeparationProgress] = []
        try separator.run(mix: mix, onProgress: { reports.append($0) }, onSpan: { _ in })
        let count = separator.tileGrid(frameCount: mix.frameCount).tileCount
        #expect(reports.map(\.tile) == Array(0..<count))
        #expect(reports.map(\.tilesDone) == Array(1...count))
        #expect(reports.last?.fraction == 1)
    }

    @Test(arguments: [1, 99, 100, 101, 300, 301])
    func tileRangesCoverTheTrackWithoutGaps(_ frameCount: Int) {
        let grid = TileGrid(frameCount: frameCount, tileFrames: 100)
        #expect(grid.tileCount == (frameCount + 99) / 100)
        var next = 0
        for tile in 0..<grid.tileCount {
            let range = grid.range(of: tile)
            #expect(range.lowerBound == next && !range.isEmpty && range.count <= 100)
            #expect(grid.tile(containing: range.lowerBound) == tile)
            #expect(grid.tile(containing: range.upperBound - 1) == tile)
            next = range.upperBound
        }
        #expect(next == frameCount)
    }

    @Test func anEmptyTrackHasNoTiles() {
        #expect(TileGrid(frameCount: 0, tileFrames: 100).tileCount == 0)
    }

    @Test func aTensorWindowIsZeroOutsideTheTrack() {
        let mix = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        var window = [Float](repeating: .nan, count: 2 * 6)
        window.withUnsafeMutableBufferPointer { mix.copyWindow(start: -2, count: 6, into: $0) }
        #expect(window == [0, 0, 1, 2, 3, 0, 0, 0, 4, 5, 6, 0])
        window.withUnsafeMutableBufferPointer { mix.copyWindow(start: 5, count: 6, into: $0) }
        #expect(window == [Float](repeating: 0, count: 12))
    }
}
