/// Vectorised `exp` for the softmax and GELU: range reduction to 2ⁿ·eʳ with |r| ≤ ln2/2
/// and a degree-6 polynomial, accurate to a few ulp for x in [-87, 88] (flushed to 0
/// below). Hundreds of millions of exponentials per segment make `expf` a hot spot.
@inline(__always)
func fastExp(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let low = SIMD8<Float>(repeating: -87.3)
    let high = SIMD8<Float>(repeating: 88.3)
    let clamped = x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
    // Round x·log2(e) to the nearest integer with the 1.5·2²³ trick; n sits in the low bits.
    let magic = SIMD8<Float>(repeating: 12_582_912)
    let shifted = clamped * 1.442_695_04 + magic
    let n = shifted - magic
    let r = clamped - n * 0.693_145_75 - n * 1.428_606_8e-6
    var p = SIMD8<Float>(repeating: 1.0 / 720)
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    let exponent = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
    let scale = unsafeBitCast((exponent &+ 127) &<< 23, to: SIMD8<Float>.self)
    let result = p * scale
    return result.replacing(with: 0, where: x .< low)
}

/// Vectorised erf (Abramowitz & Stegun 7.1.26 refined: max error 1.5e-7).
@inline(__always)
func fastErf(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let sign = SIMD8<Float>(repeating: 1).replacing(with: -1, where: x .< 0)
    let a = x.replacing(with: -x, where: x .< 0)
    let t = 1 / (1 + 0.327_591_1 * a)
    var y = SIMD8<Float>(repeating: 1.061_405_429)
    y = y * t - 1.453_152_027
    y = y * t + 1.421_413_741
    y = y * t - 0.284_496_736
    y = y * t + 0.254_829_592
    y = y * t
    return sign * (1 - y * fastExp(-a * a))
}

/// `body` over `values` in SIMD8 blocks, then the tail padded to a block.
@inline(__always)
func mapSIMD8(_ values: UnsafeMutablePointer<Float>, count: Int, _ body: (SIMD8<Float>) -> SIMD8<Float>) {
    var i = 0
    while i + 8 <= count {
        let raw = UnsafeMutableRawPointer(values + i)
        raw.storeBytes(of: body(raw.loadUnaligned(as: SIMD8<Float>.self)), as: SIMD8<Float>.self)
        i += 8
    }
    if i < count {
        var block = SIMD8<Float>(repeating: 0)
        for j in 0..<(count - i) { block[j] = values[i + j] }
        let out = body(block)
        for j in 0..<(count - i) { values[i + j] = out[j] }
    }
}
