import AtomicFiles
import Foundation

/// A `.safetensors` file: an 8-byte little-endian header length, a JSON header
/// naming each tensor's dtype, shape and byte range, then the raw data.
public struct SafetensorsFile: Sendable {
    /// The header's optional `__metadata__` strings.
    public let metadata: [String: String]
    /// Tensor name → tensor, converted to Float32.
    public let tensors: [String: StoredTensor]

    /// The largest header accepted, as the safetensors format itself limits it.
    static let maxHeaderSize: UInt64 = 100_000_000

    /// Reads and validates a safetensors file (F16, BF16 and F32 tensors).
    public static func load(contentsOf url: URL) throws(ModelFileError) -> SafetensorsFile {
        try withModelFile(url) { file throws(ModelFileError.Problem) in try SafetensorsFile(file) }
    }

    private init(_ file: UnsafeRawBufferPointer) throws(ModelFileError.Problem) {
        guard let headerSize = file.le(UInt64.self, at: 0) else {
            throw .truncated("\(file.count) bytes is too short for a safetensors header length")
        }
        guard headerSize <= Self.maxHeaderSize, headerSize <= UInt64(file.count - 8) else {
            throw .badHeaderSize(headerSize)
        }
        let dataStart = 8 + Int(headerSize)
        let dataSize = file.count - dataStart
        guard case .object(let entries) = try JSONParser.parse(
            UnsafeRawBufferPointer(rebasing: file[8..<dataStart]))
        else { throw .malformedHeader("the header is not a JSON object") }

        var metadata: [String: String] = [:]
        var planned: [PlannedTensor] = []
        var seen = Set<String>()
        for (name, description) in entries {
            guard seen.insert(name).inserted else { throw .duplicateTensor(name) }
            if name == "__metadata__" {
                metadata = try Self.metadata(description)
                continue
            }
            let (type, shape, range) = try Self.tensorEntry(name, description, dataSize: dataSize)
            planned.append(PlannedTensor(
                name: name, shape: shape, type: type, bytes: dataStart + range.lowerBound..<dataStart + range.upperBound))
        }
        // The format forbids shared bytes; checked before any tensor is decoded.
        let occupied = planned.filter { !$0.bytes.isEmpty }
            .sorted { ($0.bytes.lowerBound, $0.name) < ($1.bytes.lowerBound, $1.name) }
        for (first, second) in zip(occupied, occupied.dropFirst()) where first.bytes.overlaps(second.bytes) {
            throw .overlappingTensors(first.name, second.name)
        }
        self.metadata = metadata
        self.tensors = try decode(planned, from: file)
    }

    private static func metadata(_ value: JSONValue) throws(ModelFileError.Problem) -> [String: String] {
        guard case .object(let pairs) = value else {
            throw .malformedHeader("__metadata__ is not an object")
        }
        var metadata: [String: String] = [:]
        for (key, value) in pairs {
            guard case .string(let text) = value else {
                throw .malformedHeader("__metadata__ value for '\(key)' is not a string")
            }
            guard metadata.updateValue(text, forKey: key) == nil else {
                throw .malformedHeader("__metadata__ key '\(key)' appears twice")
            }
        }
        return metadata
    }

    /// Validates one tensor's `dtype`, `shape` and `data_offsets`.
    private static func tensorEntry(
        _ name: String, _ value: JSONValue, dataSize: Int
    ) throws(ModelFileError.Problem) -> (ElementType, [Int], Range<Int>) {
        guard case .object(let fields) = value else {
            throw .malformedHeader("entry '\(name)' is not an object")
        }
        func field(_ key: String) -> JSONValue? { fields.first { $0.key == key }?.value }
        func integers(_ key: String) throws(ModelFileError.Problem) -> [Int] {
            guard case .array(let items)? = field(key) else {
                throw .malformedHeader("entry '\(name)' has no '\(key)' array")
            }
            var values: [Int] = []
            for item in items {
                guard case .int(let number) = item else {
                    throw .malformedHeader("entry '\(name)' has a non-integer in '\(key)'")
                }
                values.append(number)
            }
            return values
        }
        guard case .string(let dtype)? = field("dtype") else {
            throw .malformedHeader("entry '\(name)' has no dtype")
        }
        let type: ElementType
        switch dtype {
        case "F16": type = .float16
        case "BF16": type = .bfloat16
        case "F32": type = .float32
        default: throw .unsupportedDType(tensor: name, dtype: dtype)
        }
        let shape = try integers("shape")
        let offsets = try integers("data_offsets")
        guard offsets.count == 2 else {
            throw .malformedHeader("entry '\(name)' data_offsets has \(offsets.count) values, not 2")
        }
        let (begin, end) = (offsets[0], offsets[1])
        guard 0 <= begin, begin <= end, end <= dataSize else {
            throw .offsetsOutOfBounds(tensor: name, begin: begin, end: end, dataSize: dataSize)
        }
        guard let count = elementCount(shape) else {
            throw .invalidTensor(tensor: name, reason: "shape \(shape) is negative or too large")
        }
        let (expected, overflow) = count.multipliedReportingOverflow(by: type.byteSize)
        guard !overflow, expected == end - begin else {
            throw .sizeMismatch(tensor: name, expectedBytes: overflow ? .max : expected, actualBytes: end - begin)
        }
        return (type, shape, begin..<end)
    }

    /// Writes `tensors` as F32 with sorted names, to a temporary file in the same
    /// folder that is then synced and renamed over `url`, so readers never see half a file.
    public static func write(
        tensors: [String: StoredTensor], metadata: [String: String] = [:], to url: URL
    ) throws {
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key < $1.key }
                .map { "\(JSONValue.quoted($0.key)):\(JSONValue.quoted($0.value))" }
            fields.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        let names = tensors.keys.sorted()
        var offset = 0
        for name in names {
            let tensor = tensors[name]!
            let end = offset + 4 * tensor.values.count
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            fields.append(
                "\(JSONValue.quoted(name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var header = Array("{\(fields.joined(separator: ","))}".utf8)
        // Pad with spaces so the data section starts 8-byte aligned.
        header += repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8)

        var bytes = [UInt8]()
        bytes.reserveCapacity(8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes += $0 }
        bytes += header
        for name in names {
            for value in tensors[name]!.values {
                withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
            }
        }
        let staged = try StagedWrite(destination: url.path)
        try staged.append(contentsOf: bytes)
        try staged.commit()
    }
}
