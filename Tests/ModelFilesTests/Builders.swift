import Foundation
@testable import ModelFiles

/// Byte-level builders for hostile-input tests.
enum Bytes {
    static func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }
}

/// One zip entry; `method` and `extraDataClaim` (bytes claimed beyond `data`) let tests corrupt it.
struct ZipEntrySpec {
    var name: String
    var data: [UInt8]
    var method: UInt16 = 0
    var extraDataClaim: UInt32 = 0
}

/// A plain (non-ZIP64) zip of stored entries.
func makeZip(_ entries: [ZipEntrySpec]) -> [UInt8] {
    var out: [UInt8] = []
    var central: [UInt8] = []
    for entry in entries {
        let name = Array(entry.name.utf8)
        let offset = UInt32(out.count)
        let size = UInt32(entry.data.count) + entry.extraDataClaim
        out += Bytes.le(UInt32(0x0403_4b50)) + Bytes.le(UInt16(20)) + Bytes.le(UInt16(0))
        out += Bytes.le(entry.method) + Bytes.le(UInt32(0)) + Bytes.le(UInt32(0))
        out += Bytes.le(size) + Bytes.le(size)
        out += Bytes.le(UInt16(name.count)) + Bytes.le(UInt16(0)) + name + entry.data
        central += Bytes.le(UInt32(0x0201_4b50)) + Bytes.le(UInt16(20)) + Bytes.le(UInt16(20))
        central += Bytes.le(UInt16(0)) + Bytes.le(entry.method) + Bytes.le(UInt32(0)) + Bytes.le(UInt32(0))
        central += Bytes.le(size) + Bytes.le(size)
        central += Bytes.le(UInt16(name.count)) + Bytes.le(UInt16(0)) + Bytes.le(UInt16(0))
        central += Bytes.le(UInt16(0)) + Bytes.le(UInt16(0)) + Bytes.le(UInt32(0)) + Bytes.le(offset) + name
    }
    let centralOffset = UInt32(out.count)
    out += central
    out += Bytes.le(UInt32(0x0605_4b50)) + Bytes.le(UInt16(0)) + Bytes.le(UInt16(0))
    out += Bytes.le(UInt16(entries.count)) + Bytes.le(UInt16(entries.count))
    out += Bytes.le(UInt32(central.count)) + Bytes.le(centralOffset) + Bytes.le(UInt16(0))
    return out
}

/// Pickle opcodes, spelled out for readability.
enum Pickle {
    static let proto: [UInt8] = [0x80, 2]
    static let stop: [UInt8] = [0x2E]
    static let mark: [UInt8] = [0x28]
    static let emptyDict: [UInt8] = [0x7D]
    static let emptyList: [UInt8] = [0x5D]
    static let emptyTuple: [UInt8] = [0x29]
    static let tuple: [UInt8] = [0x74]
    static let reduce: [UInt8] = [0x52]
    static let setItems: [UInt8] = [0x75]
    static let setItem: [UInt8] = [0x73]
    static let appends: [UInt8] = [0x65]
    static let pop: [UInt8] = [0x30]
    static let newFalse: [UInt8] = [0x89]

    static func binput(_ index: UInt8) -> [UInt8] { [0x71, index] }
    static func binget(_ index: UInt8) -> [UInt8] { [0x68, index] }

    static func string(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        return [0x58] + Bytes.le(UInt32(bytes.count)) + bytes
    }
    static func int(_ value: Int32) -> [UInt8] { [0x4A] + Bytes.le(value) }
    static func global(_ module: String, _ name: String) -> [UInt8] {
        [0x63] + Array("\(module)\n\(name)\n".utf8)
    }
    static func intTuple(_ values: [Int]) -> [UInt8] {
        mark + values.flatMap { int(Int32($0)) } + tuple
    }

    /// `_rebuild_tensor_v2` of a storage, as torch writes it.
    static func tensor(
        storage: String = "HalfStorage", key: String, numel: Int, offset: Int = 0, shape: [Int], stride: [Int]
    ) -> [UInt8] {
        global("torch._utils", "_rebuild_tensor_v2") + mark
            + mark + string("storage") + global("torch", storage) + string(key) + string("cpu")
            + int(Int32(numel)) + tuple + [0x51]
            + int(Int32(offset)) + intTuple(shape) + intTuple(stride) + newFalse
            + global("collections", "OrderedDict") + emptyTuple + reduce
            + tuple + reduce
    }

    /// A whole pickle: a dict of `pairs` (already-encoded keys and values).
    static func dict(_ pairs: [([UInt8], [UInt8])]) -> [UInt8] {
        proto + emptyDict + mark + pairs.flatMap { $0.0 + $0.1 } + setItems + stop
    }
}

/// A torch-style checkpoint zip with `data.pkl` and storages `data/<key>`.
func makeCheckpoint(pickle: [UInt8], storages: [String: [UInt8]] = [:]) -> [UInt8] {
    makeZip([ZipEntrySpec(name: "archive/data.pkl", data: pickle)]
        + storages.sorted { $0.key < $1.key }.map { ZipEntrySpec(name: "archive/data/\($0.key)", data: $0.value) })
}

/// Writes bytes to `name` in a fresh temporary folder, runs `body` on the file's URL
/// and removes the folder.
func withTemporaryFile<T>(
    _ bytes: [UInt8], name: String = "checkpoint.th", _ body: (URL) throws -> T
) throws -> T {
    let folder = FileManager.default.temporaryDirectory
        .appendingPathComponent("ModelFilesTests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let url = folder.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return try body(url)
}

/// The problem `body` throws, or nil if it succeeds.
func problem(_ body: () throws -> Void) -> ModelFileError.Problem? {
    do {
        try body()
        return nil
    } catch let error as ModelFileError {
        return error.problem
    } catch {
        return .unreadable("not a ModelFileError: \(error)")
    }
}

func loadCheckpoint(_ bytes: [UInt8], name: String = "checkpoint.th") -> ModelFileError.Problem? {
    do {
        return try withTemporaryFile(bytes, name: name) { url in problem { _ = try TorchCheckpoint.load(contentsOf: url) } }
    } catch {
        return .unreadable("temp file: \(error)")
    }
}

let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

/// The fixture formula: value[i] = i * scale + bias.
func ramp(_ count: Int, _ scale: Float = 0.25, _ bias: Float = -2) -> [Float] {
    (0..<count).map { Float($0) * scale + bias }
}
