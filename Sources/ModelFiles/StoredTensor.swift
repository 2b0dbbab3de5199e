import CHalfPrecision

/// The element type a tensor had in its file, before conversion to Float32.
public enum ElementType: Sendable, Equatable {
    case float16, bfloat16, float32

    /// Bytes per element in the file.
    public var byteSize: Int {
        switch self {
        case .float16, .bfloat16: 2
        case .float32: 4
        }
    }
}

/// A tensor read from a model file, converted to Float32, row-major contiguous.
///
/// Checkpoints store weights as fp16, bf16 or fp32; the network computes in fp32,
/// so every reader hands out `Float` values and remembers the original type.
public struct StoredTensor: Sendable, Equatable {
    /// Size of each dimension; empty for a scalar.
    public let shape: [Int]
    /// The type the values had in the file.
    public let sourceType: ElementType
    /// `shape.reduce(1, *)` values in row-major order.
    public let values: [Float]

    /// Makes a tensor; `values.count` must equal the product of `shape`.
    public init(shape: [Int], values: [Float], sourceType: ElementType = .float32) {
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == values.count,
                     "StoredTensor: \(values.count) values do not fill shape \(shape)")
        self.shape = shape
        self.sourceType = sourceType
        self.values = values
    }
}

/// The element count of `shape`, or nil when a dimension is negative or the product overflows.
func elementCount(_ shape: [Int]) -> Int? {
    var count = 1
    for dimension in shape {
        guard dimension >= 0 else { return nil }
        let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
        guard !overflow else { return nil }
        count = product
    }
    return count
}

/// Converts little-endian fp16/bf16/fp32 bytes to Float32. `raw.count` must be a
/// multiple of the element size.
func floats(from raw: UnsafeRawBufferPointer, as type: ElementType) -> [Float] {
    let count = raw.count / type.byteSize
    return [Float](unsafeUninitializedCapacity: count) { out, initialized in
        switch type {
        case .float16:
            half_widen(raw.baseAddress!.assumingMemoryBound(to: UInt16.self), out.baseAddress!, count)
        case .bfloat16:
            for i in 0..<count {
                let bits = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                out[i] = Float(bitPattern: UInt32(bits) << 16)
            }
        case .float32:
            for i in 0..<count {
                let bits = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
                out[i] = Float(bitPattern: bits)
            }
        }
        initialized = count
    }
}
