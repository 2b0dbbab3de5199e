@testable import Demucs

/// The engine's SplitMix64 over a scrambled seed: every case is a pure function of its
/// seed, so a finding can be replayed.
struct SeededRandom: RandomNumberGenerator {
    private var generator: SplitMix64
    init(seed: UInt64) { generator = SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15 ^ 0xD1B5_4A32_D192_ED03) }
    mutating func next() -> UInt64 { generator.next() }
    mutating func below(_ n: Int) -> Int { Int.random(in: 0..<max(n, 1), using: &self) }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

extension Array where Element == UInt8 {
    mutating func putLE(_ value: UInt64, at offset: Int, width: Int) {
        for i in 0..<width where offset + i < count { self[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
    }
    func readLE(at offset: Int, width: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<width where offset + i < count { value |= UInt64(self[offset + i]) << (8 * UInt64(i)) }
        return value
    }
    /// Flips `n` random bits in `range`.
    mutating func flipBits(_ n: Int, in range: Range<Int>, using random: inout SeededRandom) {
        let range = range.clamped(to: 0..<count)
        guard !range.isEmpty else { return }
        for _ in 0..<n { self[range.lowerBound + random.below(range.count)] ^= UInt8(1 << random.below(8)) }
    }
}

/// Integers at the edges of what sizes, counts and offsets are stored in.
func interestingInteger(near original: Int64?, using random: inout SeededRandom) -> Int64 {
    var values: [Int64] = [0, -1, 1, 2, 3, 7, 255, 256, 65535, 65536, 1 << 20, Int64(Int32.max), 1 << 31, 1 << 32, 1 << 40,
                           1 << 62, Int64.max, Int64.min, 1_000_000, 1_000_000_000]
    if let original { values += [original - 1, original + 1, original &* 2, original &* 1000, -original] }
    return random.pick(values)
}

let interestingDoubles: [Double] = [.nan, .infinity, -.infinity, 1e300, -1e300, 0, -0.0, .leastNonzeroMagnitude, 1e-300, -1, 1e6, 0.5, 1e-5]

let interestingStrings: [String] = [
    "", "../x", "../../../../../../ESC", "a/b", "/", "/tmp/x", ".", "..", String(repeating: "a", count: 65),
    String(repeating: "a", count: 100_000), "\u{0}", "drums", "dr\u{fc}ms", "x y", "4", "nan", "diag", "bass",
    "C:\\x", "-n", "{stem}", "%s%n",
]
