import Foundation

/// One plane (one channel of one stem) of one block as the cache stores it: block
/// floating point coded losslessly, FLAC-like.
///
/// The samples become integers on a grid of `2^exponent` chosen per plane and block:
/// the largest power of two at most `rms · 10^(−noiseBelowRMS/20) · √12`, so the
/// rounding noise (uniform, `step / √12` RMS) sits at least `noiseBelowRMS` dB under
/// the block's own level, wherever in the song it is and however loud; never finer
/// than 2^−149 (Float's smallest step) nor coarser than 24 significant bits of the peak, so
/// every integer and `Float(integer) · 2^exponent` are exact in Float. The integers
/// are then coded without loss: a fixed polynomial predictor (order 0–4, the one with
/// the smallest residuals) and Rice codes of the zigzagged residuals with one parameter
/// per plane; a quotient of `escapeQuotient` or more is written as that many zero bits
/// and the value in 32 raw bits, which also bounds the work any bit stream can cause.
///
/// Layout: `u8 kind` — 0 an all-zero plane (nothing follows; exact), else the order
/// plus one — then `i16 exponent · u8 Rice parameter · u32 n` and `n` bytes of bits,
/// most significant first. Samples that are not finite are coded as 0.
enum PlaneCodec {
    /// How far (dB) the rounding noise stays under each block's RMS level, at least.
    static let noiseBelowRMS = 104.0
    static let maxOrder = 4
    /// Significant bits the grid keeps of the block's peak, at most (Float's 24 less the sign).
    static let maxMantissaBits = 23
    static let escapeQuotient = 24
    static let maxRiceParameter = 28
    /// Bytes before the bits of a plane that is not all zero.
    static let planeHeaderSize = 8

    /// Appends the code of `samples` to `output`.
    static func encode(_ samples: UnsafeBufferPointer<Float>, to output: inout [UInt8]) {
        var peak: Float = 0
        var energy = 0.0
        for sample in samples where sample.isFinite {
            peak = max(peak, abs(sample))
            energy += Double(sample) * Double(sample)
        }
        guard peak > 0 else {
            output.append(0)
            return
        }
        let target = (energy / Double(samples.count)).squareRoot() * pow(10, -noiseBelowRMS / 20) * 12.squareRoot()
        let exponent = max(Int(target.exponent), Int(peak.exponent) + 1 - maxMantissaBits, -149)
        let inverseStep = Double(sign: .plus, exponent: -exponent, significand: 1)
        // Rounding up must neither leave 23 bits nor pass Float's largest value.
        let largest = min(Double(1 << maxMantissaBits - 1), (Double(Float.greatestFiniteMagnitude) * inverseStep).rounded(.down))
        let integers = samples.map { $0.isFinite ? Int64(min(max((Double($0) * inverseStep).rounded(), -largest), largest)) : 0 }

        let magnitudes = residualMagnitudes(integers)
        let order = magnitudes.indices.min { magnitudes[$0] < magnitudes[$1] }!
        var residuals = [UInt32](repeating: 0, count: integers.count)
        forEachResidual(integers, order: order) { index, residual in
            residuals[index] = UInt32(truncatingIfNeeded: (residual << 1) ^ (residual >> 63))
        }
        let parameter = riceParameter(for: residuals)

        var writer = BitWriter()
        writer.reserve(bits: riceCost(residuals, parameter: parameter))
        for value in residuals {
            let quotient = Int(value >> parameter)
            if quotient < escapeQuotient {
                writer.write(1, bits: quotient + 1)
                writer.write(UInt64(value) & ((1 << parameter) - 1), bits: parameter)
            } else {
                writer.write(0, bits: escapeQuotient)
                writer.write(UInt64(value), bits: 32)
            }
        }
        let bits = writer.finish()
        output.append(UInt8(order + 1))
        append(Int16(exponent), to: &output)
        output.append(UInt8(parameter))
        append(UInt32(bits.count), to: &output)
        output += bits
    }

    /// Decodes one plane from the start of `input` into `target` (as many samples as it
    /// holds) and returns the bytes it took. `input` may be hostile: every length is
    /// checked and a stream that ends early or names an impossible field throws.
    static func decode(_ input: UnsafeRawBufferPointer, into target: UnsafeMutableBufferPointer<Float>) throws(EntryFormat.Problem) -> Int {
        guard let kind = input.first else { throw EntryFormat.Problem(description: "a block ends early") }
        guard kind != 0 else {
            target.update(repeating: 0)
            return 1
        }
        guard input.count >= planeHeaderSize else { throw EntryFormat.Problem(description: "a block ends early") }
        let order = Int(kind) - 1
        let exponent = Int(Int16(littleEndian: input.loadUnaligned(fromByteOffset: 1, as: Int16.self)))
        let parameter = Int(input[3])
        let length = Int(UInt32(littleEndian: input.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
        guard order <= maxOrder, parameter <= maxRiceParameter, (-149...127).contains(exponent),
            length <= input.count - planeHeaderSize
        else { throw EntryFormat.Problem(description: "a plane header is implausible (order \(order), exponent \(exponent), \(length) bytes)") }
        let step = Float(sign: .plus, exponent: exponent, significand: 1)
        var reader = BitReader(UnsafeRawBufferPointer(rebasing: input[planeHeaderSize..<(planeHeaderSize + length)]))
        var history: (Int64, Int64, Int64, Int64) = (0, 0, 0, 0)
        for index in target.indices {
            let zeros = reader.leadingZeros(upTo: escapeQuotient)
            let value: UInt64
            if zeros < escapeQuotient {
                reader.skip(zeros + 1)
                value = UInt64(zeros) << parameter | reader.read(parameter)
            } else {
                reader.skip(escapeQuotient)
                value = reader.read(32)
            }
            let residual = Int64(value >> 1) ^ -Int64(value & 1)
            let integer = residual &+ prediction(history, order: order)
            history = (integer, history.0, history.1, history.2)
            target[index] = Float(integer) * step
        }
        guard !reader.isOverrun else { throw EntryFormat.Problem(description: "a plane's bits end early") }
        return planeHeaderSize + length
    }

    // MARK: prediction

    /// The fixed predictor of `order` from the last four values (newest first).
    @inline(__always)
    private static func prediction(_ h: (Int64, Int64, Int64, Int64), order: Int) -> Int64 {
        switch order {
        case 0: 0
        case 1: h.0
        case 2: 2 &* h.0 &- h.1
        case 3: 3 &* h.0 &- 3 &* h.1 &+ h.2
        default: 4 &* h.0 &- 6 &* h.1 &+ 4 &* h.2 &- h.3
        }
    }

    /// Calls `body` with each index and residual under the predictor of `order`
    /// (the values before the first count as zeros, as in the decoder).
    private static func forEachResidual(_ values: [Int64], order: Int, _ body: (Int, Int64) -> Void) {
        var history: (Int64, Int64, Int64, Int64) = (0, 0, 0, 0)
        for (index, value) in values.enumerated() {
            body(index, value - prediction(history, order: order))
            history = (value, history.0, history.1, history.2)
        }
    }

    /// The sum of the residuals' magnitudes under each order, in one pass: the residual
    /// of order k is the k-th difference, the same predictor as `prediction`.
    private static func residualMagnitudes(_ values: [Int64]) -> [Int64] {
        var sums = [Int64](repeating: 0, count: maxOrder + 1)
        var previous: (Int64, Int64, Int64, Int64) = (0, 0, 0, 0)  // differences of order 0…3 at the last sample
        for value in values {
            let d1 = value - previous.0
            let d2 = d1 - previous.1
            let d3 = d2 - previous.2
            let d4 = d3 - previous.3
            sums[0] += abs(value)
            sums[1] += abs(d1)
            sums[2] += abs(d2)
            sums[3] += abs(d3)
            sums[4] += abs(d4)
            previous = (value, d1, d2, d3)
        }
        return sums
    }

    // MARK: Rice codes

    /// The parameter that codes `values` in the fewest bits, searched around the mean's logarithm.
    private static func riceParameter(for values: [UInt32]) -> Int {
        let mean = values.reduce(0) { $0 + UInt64($1) } / UInt64(max(values.count, 1))
        let estimate = 64 - (mean + 1).leadingZeroBitCount - 1
        let candidates = max(0, estimate - 2)...min(maxRiceParameter, estimate + 1)
        let costs = candidates.map { (parameter: $0, bits: riceCost(values, parameter: $0)) }
        return costs.min { $0.bits < $1.bits }!.parameter
    }

    private static func riceCost(_ values: [UInt32], parameter: Int) -> Int {
        values.reduce(0) { total, value in
            let quotient = Int(value >> parameter)
            return total + (quotient < escapeQuotient ? quotient + 1 + parameter : escapeQuotient + 32)
        }
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to output: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { output += $0 }
    }
}

/// Bits appended most significant first.
struct BitWriter {
    private var bytes: [UInt8] = []
    private var buffer: UInt64 = 0
    private var count = 0

    mutating func reserve(bits: Int) { bytes.reserveCapacity(bits / 8 + 8) }

    /// Appends the low `bits` (0…32) bits of `value`.
    @inline(__always)
    mutating func write(_ value: UInt64, bits: Int) {
        buffer = buffer << bits | value
        count += bits
        while count >= 8 {
            count -= 8
            bytes.append(UInt8(truncatingIfNeeded: buffer >> count))
        }
    }

    /// The bytes, the last one padded with zero bits.
    mutating func finish() -> [UInt8] {
        if count > 0 { bytes.append(UInt8(truncatingIfNeeded: buffer << (8 - count))) }
        count = 0
        return bytes
    }
}

/// Bits read most significant first from a buffer; past its end it reads zeros and
/// remembers the overrun, so a short stream costs bounded work and is reported once.
struct BitReader {
    private let bytes: UnsafeRawBufferPointer
    private var next = 0
    /// Unread bits, left-aligned.
    private var buffer: UInt64 = 0
    private var count = 0
    private var padding = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Whether more bits were taken than the buffer holds.
    var isOverrun: Bool { padding > 0 && count < padding }

    @inline(__always)
    private mutating func refill() {
        while count <= 56 {
            if next < bytes.count {
                buffer |= UInt64(bytes[next]) << (56 - count)
                next += 1
            } else {
                padding += 8
            }
            count += 8
        }
    }

    /// How many zero bits come next, at most `limit` (≤ 56); none are consumed.
    @inline(__always)
    mutating func leadingZeros(upTo limit: Int) -> Int {
        refill()
        return min(buffer.leadingZeroBitCount, limit)
    }

    @inline(__always)
    mutating func skip(_ bits: Int) {
        refill()
        buffer <<= bits
        count -= bits
    }

    /// The next `bits` (0…32) bits as a number.
    @inline(__always)
    mutating func read(_ bits: Int) -> UInt64 {
        guard bits > 0 else { return 0 }
        refill()
        let value = buffer >> (64 - bits)
        buffer <<= bits
        count -= bits
        return value
    }
}
