import Testing

@testable import Demucs

@Suite struct SquareGemmRateTests {
    /// 100³ runs on one thread; 256³ is split into slabs when there are two threads, and
    /// the slabs' counts must add up to the whole product's.
    @Test(arguments: [100, 256], [1, 2])
    func countsOneSquareProductAndReportsAFiniteRate(size: Int, threads: Int) {
        let rate = measureSquareGemmRate(size: size, threads: threads, repetitions: 2)
        #expect(rate.flopsPerProduct == 2 * size * size * size)
        #expect(rate.threads == threads)
        #expect(rate.repetitions == 2)
        #expect(rate.bestSeconds > 0)
        #expect(rate.flopsPerSecond.isFinite && rate.flopsPerSecond > 0)
    }
}
