import Testing

@testable import Demucs

@Suite struct WeightsTests {
    /// Every finite or infinite Float16, as a published checkpoint might hold it.
    static let everyHalf: [Float] = (0...UInt16.max).map { Float(Float16(bitPattern: $0)) }.filter { !$0.isNaN }

    @Test func fp16ValuesAreKeptAtHalfPrecisionAndWidenExactly() {
        let weights = Weights(Self.everyHalf)
        #expect(weights.isHalfPrecision)
        #expect(weights.count == Self.everyHalf.count)
        let widened = weights.withFloats(context: ComputeContext()) { Array(UnsafeBufferPointer(start: $0, count: Self.everyHalf.count)) }
        #expect(widened.map(\.bitPattern) == Self.everyHalf.map(\.bitPattern))
    }

    @Test(arguments: [Float(0.1), 65520, 0x1p-25, .nan])
    func oneValueOutsideFp16KeepsTheMatrixInFp32(odd: Float) {
        var values = Array(Self.everyHalf.prefix(1000))
        values[517] = odd
        let weights = Weights(values)
        #expect(!weights.isHalfPrecision)
        let read = weights.withFloats(context: ComputeContext()) { Array(UnsafeBufferPointer(start: $0, count: values.count)) }
        #expect(read.map(\.bitPattern) == values.map(\.bitPattern))
    }
}
