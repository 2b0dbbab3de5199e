/// A dense, row-major Float32 tensor: the value type that flows between layers.
public struct Tensor: Sendable, Equatable {
    /// The extent of each dimension, outermost first.
    public var shape: [Int]
    /// The elements in row-major order; `values.count` is the product of `shape`.
    public var values: [Float]

    /// Wraps `values` with `shape`; the element count must match.
    public init(shape: [Int], values: [Float]) {
        precondition(
            shape.reduce(1, *) == values.count,
            "tensor of shape \(shape) needs \(shape.reduce(1, *)) values, got \(values.count)")
        self.shape = shape
        self.values = values
    }

    /// A tensor of zeros.
    public init(zeros shape: [Int]) {
        self.init(shape: shape, values: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    /// The number of elements.
    public var count: Int { values.count }

    /// The same elements seen with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, values: values)
    }
}
