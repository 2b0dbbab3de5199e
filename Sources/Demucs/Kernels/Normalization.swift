import Foundation

/// `nn.GroupNorm` over a tensor seen as `[channels, batch, inner]`: for each batch index
/// and channel group, statistics run over the group's channels and the inner extent.
///
/// `batch` > 1 covers demucs's habit of folding frequency rows into the batch before a
/// norm (the DConv branch on the spectral path) without transposing.
struct GroupNorm: Sendable {
    let groups: Int
    let weight: [Float]
    let bias: [Float]
    var epsilon: Float = 1e-5

    func apply(_ x: inout Tensor, batch: Int = 1) {
        let channels = weight.count
        precondition(x.count % (channels * batch) == 0, "group norm of \(channels) channels on \(x.shape)")
        let inner = x.count / (channels * batch)
        let perGroup = channels / groups
        let n = Double(perGroup * inner)
        x.values.withUnsafeMutableBufferPointer { v in
            for b in 0..<batch {
                for g in 0..<groups {
                    var sum = 0.0
                    for c in (g * perGroup)..<((g + 1) * perGroup) {
                        let base = (c * batch + b) * inner
                        for i in 0..<inner { sum += Double(v[base + i]) }
                    }
                    let mean = sum / n
                    var squares = 0.0
                    for c in (g * perGroup)..<((g + 1) * perGroup) {
                        let base = (c * batch + b) * inner
                        for i in 0..<inner {
                            let d = Double(v[base + i]) - mean
                            squares += d * d
                        }
                    }
                    let invStd = 1 / (squares / n + Double(epsilon)).squareRoot()
                    for c in (g * perGroup)..<((g + 1) * perGroup) {
                        let scale = Float(invStd) * weight[c]
                        let shift = bias[c] - Float(mean) * scale
                        let base = (c * batch + b) * inner
                        for i in 0..<inner { v[base + i] = v[base + i] * scale + shift }
                    }
                }
            }
        }
    }
}

/// `nn.LayerNorm` over the last dimension of `[tokens, channels]`.
struct LayerNorm: Sendable {
    let weight: [Float]
    let bias: [Float]
    var epsilon: Float = 1e-5

    func callAsFunction(_ x: Tensor) -> Tensor {
        var y = x
        let channels = weight.count
        let tokens = x.count / channels
        y.values.withUnsafeMutableBufferPointer { v in
            for t in 0..<tokens {
                let base = t * channels
                var sum: Float = 0
                for c in 0..<channels { sum += v[base + c] }
                let mean = sum / Float(channels)
                var squares: Float = 0
                for c in 0..<channels {
                    let d = v[base + c] - mean
                    squares += d * d
                }
                let invStd = 1 / (squares / Float(channels) + epsilon).squareRoot()
                for c in 0..<channels { v[base + c] = (v[base + c] - mean) * invStd * weight[c] + bias[c] }
            }
        }
        return y
    }
}

/// Exact (erf-based) GELU, in place.
func gelu(_ x: inout Tensor) {
    x.values.withUnsafeMutableBufferPointer { v in
        let shared = SharedBuffer(v)
        parallelFor(v.count, minimumChunk: 1 << 15) { range in
            mapSIMD8(shared.base + range.lowerBound, count: range.count) { a in
                0.5 * a * (1 + fastErf(a * 0.707_106_781_186_547_52))
            }
        }
    }
}

/// Gated linear unit over the leading (channel) dimension: the first half times the
/// sigmoid of the second half.
func glu(_ x: Tensor) -> Tensor {
    let half = x.shape[0] / 2
    let inner = x.count / x.shape[0]
    var shape = x.shape
    shape[0] = half
    let count = half * inner
    var out = [Float](repeating: 0, count: count)
    x.values.withUnsafeBufferPointer { v in
        out.withUnsafeMutableBufferPointer { o in
            let input = SharedBuffer(UnsafeMutableBufferPointer(mutating: v))
            let shared = SharedBuffer(o)
            parallelFor(count, minimumChunk: 1 << 15) { range in
                let gate = input.base + count + range.lowerBound
                let value = input.base + range.lowerBound
                let result = shared.base + range.lowerBound
                var i = 0
                while i + 8 <= range.count {
                    let g = UnsafeRawPointer(gate + i).loadUnaligned(as: SIMD8<Float>.self)
                    let a = UnsafeRawPointer(value + i).loadUnaligned(as: SIMD8<Float>.self)
                    UnsafeMutableRawPointer(result + i).storeBytes(of: a / (1 + fastExp(-g)), as: SIMD8<Float>.self)
                    i += 8
                }
                while i < range.count {
                    result[i] = value[i] / (1 + expf(-gate[i]))
                    i += 1
                }
            }
        }
    }
    return Tensor(shape: shape, values: out)
}

/// Multiplies channel `c` (the leading dimension) by `scale[c]`, in place.
func scaleChannels(_ x: inout Tensor, by scale: [Float]) {
    let inner = x.count / scale.count
    x.values.withUnsafeMutableBufferPointer { v in
        for c in 0..<scale.count {
            let s = scale[c]
            for i in (c * inner)..<((c + 1) * inner) { v[i] *= s }
        }
    }
}

/// Elementwise `x += y`.
func add(_ y: Tensor, to x: inout Tensor) {
    precondition(x.count == y.count, "adding \(y.shape) to \(x.shape)")
    x.values.withUnsafeMutableBufferPointer { a in
        y.values.withUnsafeBufferPointer { b in
            for i in a.indices { a[i] += b[i] }
        }
    }
}

/// Transposes a `[rows, columns]` matrix.
func transposed(_ x: Tensor) -> Tensor {
    let rows = x.shape[0]
    let columns = x.count / rows
    var out = [Float](repeating: 0, count: x.count)
    x.values.withUnsafeBufferPointer { v in
        out.withUnsafeMutableBufferPointer { o in
            for r in 0..<rows {
                for c in 0..<columns { o[c * rows + r] = v[r * columns + c] }
            }
        }
    }
    return Tensor(shape: [columns, rows], values: out)
}
