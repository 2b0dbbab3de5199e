import CHalfPrecision

/// A layer's weight matrix, held at half precision when its values allow it.
///
/// Published demucs checkpoints store fp16, so keeping those values as `Float16` loses
/// nothing and halves the model's resident size (84 MB instead of 168 MB for htdemucs).
/// Products run in fp32: each use widens the matrix into a short-lived buffer, which
/// costs about one pass over 84 MB per segment against its 335 GFLOP of products.
struct Weights: Sendable {
    private enum Storage: Sendable {
        case half([Float16])
        case single([Float])
    }
    private let storage: Storage

    /// Keeps `values` as `Float16` when every one of them converts exactly, as `Float` otherwise.
    init(_ values: [Float]) {
        storage = exactHalves(values).map { .half($0) } ?? .single(values)
    }

    /// The number of elements.
    var count: Int {
        switch storage {
        case .half(let values): values.count
        case .single(let values): values.count
        }
    }

    /// Whether the values are held at half precision.
    var isHalfPrecision: Bool {
        if case .half = storage { return true }
        return false
    }

    /// Calls `body` with the values as `Float`s, valid only during the call.
    func withFloats<Result>(context: ComputeContext, _ body: (UnsafePointer<Float>) throws -> Result) rethrows -> Result {
        switch storage {
        case .single(let values):
            return try values.withUnsafeBufferPointer { try body($0.baseAddress!) }
        case .half(let values):
            let wide = UnsafeMutablePointer<Float>.allocate(capacity: values.count)
            defer { wide.deallocate() }
            // Spread over the cores.
            let target = SendablePointer(wide)
            context.parallelFor(values.count, minimumChunk: 1 << 17) { range in
                copyFloats(range, into: target.pointer + range.lowerBound)
            }
            return try body(wide)
        }
    }
}

extension Weights {
    /// Writes the elements in `range` as `Float`s to `target`: a part of the matrix
    /// widened without the whole.
    func copyFloats(_ range: Range<Int>, into target: UnsafeMutablePointer<Float>) {
        switch storage {
        case .single(let values):
            values.withUnsafeBufferPointer { target.update(from: $0.baseAddress! + range.lowerBound, count: range.count) }
        case .half(let values):
            values.withUnsafeBufferPointer {
                $0.withMemoryRebound(to: UInt16.self) { half_widen($0.baseAddress! + range.lowerBound, target, range.count) }
            }
        }
    }
}

/// `values` as `Float16`s, or nil when any of them is not exactly a `Float16`.
private func exactHalves(_ values: [Float]) -> [Float16]? {
    guard !values.isEmpty else { return nil }
    var exact = false
    let halves = [Float16](unsafeUninitializedCapacity: values.count) { out, initialized in
        values.withUnsafeBufferPointer { v in
            out.withMemoryRebound(to: UInt16.self) { h in
                exact = half_narrow_exactly(v.baseAddress!, h.baseAddress!, v.count)
            }
        }
        initialized = exact ? values.count : 0
    }
    return exact ? halves : nil
}
