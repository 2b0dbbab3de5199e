import Foundation

/// A model checkpoint written by `torch.save`, read without Python.
///
/// Two layouts are accepted: the demucs package dict
/// `{'klass', 'args', 'kwargs', 'state'[, 'training_args']}` that
/// `demucs.states.serialize_model` produces, and a bare state dict of tensors
/// (community files), which yields an empty `klass`, `args` and `kwargs`.
public struct TorchCheckpoint: Sendable {
    /// The model class, e.g. "demucs.htdemucs.HTDemucs"; empty for a bare state dict.
    public let klass: String
    /// Positional constructor arguments.
    public let args: [PickleValue]
    /// Keyword constructor arguments.
    public let kwargs: [String: PickleValue]
    /// Parameter name → tensor, converted to Float32.
    public let state: [String: StoredTensor]
    /// The `training_args` entry, or `.none` when absent.
    public let trainingArgs: PickleValue

    /// Reads a checkpoint. When the name has the official form `<name>-<8 hex>.th`,
    /// the file's sha256 must start with those digits; this is the one place that checks
    /// it, so callers need not hash the file again.
    public static func load(contentsOf url: URL) throws(ModelFileError) -> TorchCheckpoint {
        try withModelFile(url) { file throws(ModelFileError.Problem) in
            try ModelChecksum.check(file, fileName: url.lastPathComponent)
            return try TorchCheckpoint(file)
        }
    }

    private init(_ file: UnsafeRawBufferPointer) throws(ModelFileError.Problem) {
        let zip = try ZipArchive(file)
        let prefix = try Self.archivePrefix(zip)
        if let order = zip.entries[prefix + "byteorder"] {
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: file[order]), as: UTF8.self)
            guard text == "little" else { throw .unsupportedByteOrder(text) }
        }
        let pickle = UnsafeRawBufferPointer(rebasing: file[zip.entries[prefix + "data.pkl"]!])
        let top = try Unpickler.load(pickle)
        let tensors = TensorReader(file: file, archive: zip, prefix: prefix)

        guard case .dict(let root) = top else {
            throw .unexpectedLayout("the pickled value is not a dict")
        }
        guard let stateObject = root.value(for: "state"), let klassObject = root.value(for: "klass") else {
            (klass, args, kwargs, trainingArgs) = ("", [], [:], .none)
            state = try tensors.read(root)
            return
        }
        guard case .global(.demucsClass(let module, let name)) = klassObject else {
            throw .unexpectedLayout("'klass' is not a demucs class")
        }
        guard case .dict(let stateDict) = stateObject else {
            throw .unexpectedLayout("'state' is not a dict")
        }
        klass = "\(module).\(name)"
        var plain = PlainValueConverter()
        switch try plain.convert(root.value(for: "args")) {
        case nil: args = []
        case .list(let items)?, .tuple(let items)?: args = items
        default: throw .unexpectedLayout("'args' is not a list or tuple")
        }
        switch try plain.convert(root.value(for: "kwargs")) {
        case nil: kwargs = [:]
        case .dict(let entries)?:
            var named: [String: PickleValue] = [:]
            for entry in entries {
                guard case .string(let key) = entry.key else {
                    throw .unexpectedLayout("a 'kwargs' key is not a string")
                }
                named[key] = entry.value
            }
            kwargs = named
        default: throw .unexpectedLayout("'kwargs' is not a dict")
        }
        trainingArgs = try plain.convert(root.value(for: "training_args")) ?? .none
        state = try tensors.read(stateDict)
    }

    /// The single top-level folder holding `data.pkl` (the archive name torch chose).
    private static func archivePrefix(_ zip: ZipArchive) throws(ModelFileError.Problem) -> String {
        let prefixes = zip.entries.keys.compactMap { name -> String? in
            let parts = name.split(separator: "/", omittingEmptySubsequences: false)
            return parts.count == 2 && parts[1] == "data.pkl" ? String(parts[0]) + "/" : nil
        }
        guard prefixes.count == 1 else {
            throw prefixes.isEmpty
                ? .missingEntry("<archive>/data.pkl")
                : .malformedZip("several <archive>/data.pkl entries")
        }
        return prefixes[0]
    }
}

extension DictBox {
    func value(for key: String) -> PickledObject? {
        stringKeys[key].map { entries[$0].value }
    }
}

/// Converts unpickled objects to plain values; tensors and storages have no place there.
///
/// Lists, dicts and tuples reached twice through the memo are copied each time, so a
/// small pickle can describe an exponentially large tree: one converter counts every
/// value it makes for a checkpoint against `Unpickler.maxPlainValues`.
private struct PlainValueConverter {
    private var made = 0

    /// The plain value of a top-level entry, or nil when the entry is absent.
    mutating func convert(_ object: PickledObject?) throws(ModelFileError.Problem) -> PickleValue? {
        guard let object else { return nil }
        return try convert(object, level: 0)
    }

    private mutating func convert(_ object: PickledObject, level: Int) throws(ModelFileError.Problem) -> PickleValue {
        // Lists and dicts can be made to contain themselves through the memo.
        guard level <= Unpickler.maxDepth else {
            throw .limitExceeded("values nested more than \(Unpickler.maxDepth) deep (or a cycle)")
        }
        made += 1
        guard made <= Unpickler.maxPlainValues else {
            throw .limitExceeded("args, kwargs and training_args expand to more than \(Unpickler.maxPlainValues) values")
        }
        func convertAll(_ items: [PickledObject]) throws(ModelFileError.Problem) -> [PickleValue] {
            var values: [PickleValue] = []
            for item in items { values.append(try convert(item, level: level + 1)) }
            return values
        }
        switch object {
        case .none: return .none
        case .bool(let value): return .bool(value)
        case .int(let value): return .int(value)
        case .float(let value): return .float(value)
        case .string(let value): return .string(value)
        case .bytes(let value): return .bytes(value)
        case .list(let box): return .list(try convertAll(box.items))
        case .tuple(let items, _): return .tuple(try convertAll(items))
        case .dict(let box):
            var entries: [PickleDictEntry] = []
            for (key, value) in box.entries {
                entries.append(PickleDictEntry(
                    key: try convert(key, level: level + 1), value: try convert(value, level: level + 1)))
            }
            return .dict(entries)
        case .fraction(let numerator, let denominator):
            return .fraction(numerator: numerator, denominator: denominator)
        case .global(let global):
            guard case .demucsClass(let module, let name) = global else {
                throw .unexpectedLayout("'\(global.qualifiedName)' appears as a value")
            }
            return .global(module: module, name: name)
        case .storage, .tensor:
            throw .unexpectedLayout("a tensor appears outside the state dict")
        }
    }
}

/// Reads tensors from their `<archive>/data/<key>` storage entries.
private struct TensorReader {
    let file: UnsafeRawBufferPointer
    let archive: ZipArchive
    let prefix: String

    /// Reads every entry of a state dict, whose keys must be strings and values tensors.
    /// Every tensor is checked before any is decoded.
    func read(_ dict: DictBox) throws(ModelFileError.Problem) -> [String: StoredTensor] {
        var planned: [PlannedTensor] = []
        for (key, value) in dict.entries {
            guard case .string(let name) = key else {
                throw .unexpectedLayout("a state dict key is not a string")
            }
            guard case .tensor(let tensor) = value else {
                throw .unexpectedLayout("state entry '\(name)' is not a tensor")
            }
            planned.append(try plan(tensor, name: name))
        }
        return try decode(planned, from: file)
    }

    /// Checks a tensor's storage entry, contiguity and bounds, and locates its bytes.
    private func plan(_ tensor: TensorRef, name: String) throws(ModelFileError.Problem) -> PlannedTensor {
        let entryName = prefix + "data/" + tensor.storage.key
        guard let range = archive.entries[entryName] else { throw .missingEntry(entryName) }
        guard let count = elementCount(tensor.shape) else {
            throw .invalidTensor(tensor: name, reason: "shape \(tensor.shape) is negative or too large")
        }
        if count > 0 {
            var expected = 1
            for (size, stride) in zip(tensor.shape, tensor.stride).reversed() {
                // Torch ignores the stride of a dimension of size 1.
                guard size == 1 || stride == expected else {
                    throw .nonContiguous(tensor: name, shape: tensor.shape, stride: tensor.stride)
                }
                expected *= size
            }
        }
        let size = tensor.storage.type.byteSize
        let (end, endOverflow) = tensor.offset.addingReportingOverflow(count)
        let (needed, neededOverflow) = end.multipliedReportingOverflow(by: size)
        let (declared, declaredOverflow) = tensor.storage.count.multipliedReportingOverflow(by: size)
        let available = declaredOverflow ? range.count : min(range.count, declared)
        guard !endOverflow, !neededOverflow, needed <= available else {
            throw .storageTooSmall(
                tensor: name, neededBytes: endOverflow || neededOverflow ? .max : needed,
                availableBytes: available)
        }
        let start = range.lowerBound + tensor.offset * size
        return PlannedTensor(
            name: name, shape: tensor.shape, type: tensor.storage.type, bytes: start..<start + count * size)
    }
}
