import Crypto

/// What a cache entry is for: the sha256 of the audio the model saw and of every
/// setting that changes the stems. Equal keys mean equal stems, so a key needs no
/// invalidation; a new entry format changes every key.
public struct CacheKey: Hashable, Sendable, CustomStringConvertible {
    /// 64 lowercase hex digits; also the entry's file name without `.stems`.
    public let hex: String

    /// A key from its hex form (as `list()` reports it); nil unless 64 lowercase hex digits.
    public init?(hex: String) {
        guard hex.utf8.count == 64, hex.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { return nil }
        self.hex = hex
    }

    public var description: String { hex }

    /// The key of `audio` (`[channel][frame]`, the resampled samples the model
    /// separates) run through `model` (an identity that changes with the weights,
    /// such as `ModelStore.ResolvedModel.identity`) with the given overlap and shifts.
    public init<Channel: RandomAccessCollection<Float>>(
        audio: [Channel], sampleRate: Int, model: String, overlap: Double, shifts: Int
    ) where Channel.Index == Int {
        var hasher = SHA256()
        func add(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { hasher.update(bufferPointer: $0) } }
        hasher.update(data: Array("demixer stem cache".utf8))
        add(UInt64(EntryFormat.version))
        add(UInt64(sampleRate))
        add(UInt64(model.utf8.count))
        hasher.update(data: Array(model.utf8))
        add(overlap.bitPattern)
        add(UInt64(shifts))
        add(UInt64(audio.count))
        for channel in audio {
            add(UInt64(channel.count))
            forEachLittleEndianChunk(of: channel) { hasher.update(bufferPointer: $0) }
        }
        hex = hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

/// Calls `body` with `samples` as float32 little-endian bytes, 64 Ki samples at a time.
func forEachLittleEndianChunk<Samples: RandomAccessCollection<Float>, E: Error>(
    of samples: Samples, _ body: (UnsafeRawBufferPointer) throws(E) -> Void
) throws(E) where Samples.Index == Int {
    let capacity = min(samples.count, 1 << 16)
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity * 4, alignment: 4)
    defer { scratch.deallocate() }
    var start = 0
    while start < samples.count {
        let count = min(capacity, samples.count - start)
        for i in 0..<count {
            scratch.storeBytes(
                of: samples[samples.startIndex + start + i].bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
        }
        try body(UnsafeRawBufferPointer(rebasing: scratch[..<(count * 4)]))
        start += count
    }
}
