/// The callables and classes a torch checkpoint may name. Everything else is refused.
enum AllowedGlobal: Equatable {
    case orderedDict
    case rebuildTensor
    case storage(ElementType)
    case fraction
    /// A `demucs.*` class: recorded by name, never called.
    case demucsClass(module: String, name: String)

    init(module: String, name: String) throws(ModelFileError.Problem) {
        switch (module, name) {
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensor
        case ("torch", "HalfStorage"): self = .storage(.float16)
        case ("torch", "BFloat16Storage"): self = .storage(.bfloat16)
        case ("torch", "FloatStorage"): self = .storage(.float32)
        case ("fractions", "Fraction"): self = .fraction
        case _ where (module == "demucs" || module.hasPrefix("demucs.")) && !name.isEmpty:
            self = .demucsClass(module: module, name: name)
        default: throw .forbiddenGlobal(module: module, name: name)
        }
    }

    var qualifiedName: String {
        switch self {
        case .orderedDict: "collections.OrderedDict"
        case .rebuildTensor: "torch._utils._rebuild_tensor_v2"
        case .storage(.float16): "torch.HalfStorage"
        case .storage(.bfloat16): "torch.BFloat16Storage"
        case .storage(.float32): "torch.FloatStorage"
        case .fraction: "fractions.Fraction"
        case .demucsClass(let module, let name): "\(module).\(name)"
        }
    }
}

/// A storage reference from `BINPERSID`: `('storage', type, key, location, numel)`.
struct StorageRef {
    let type: ElementType
    let key: String
    let count: Int
}

/// A `_rebuild_tensor_v2` result, not yet read from its storage.
struct TensorRef {
    let storage: StorageRef
    let offset: Int
    let shape: [Int]
    let stride: [Int]
}

/// A list being built; a class because pickle mutates it after memoizing it.
final class ListBox {
    var items: [PickledObject] = []
    var depth = 1
}

/// A dict being built, in insertion order; string keys replace earlier values as in Python.
final class DictBox {
    var entries: [(key: PickledObject, value: PickledObject)] = []
    var stringKeys: [String: Int] = [:]
    var depth = 1

    func set(_ key: PickledObject, _ value: PickledObject) {
        depth = max(depth, 1 + max(key.depth, value.depth))
        if case .string(let name) = key {
            if let index = stringKeys[name] {
                entries[index].value = value
                return
            }
            stringKeys[name] = entries.count
        }
        entries.append((key, value))
    }
}

/// An object on the unpickler's stack.
enum PickledObject {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case list(ListBox)
    case tuple([PickledObject], depth: Int)
    case dict(DictBox)
    case global(AllowedGlobal)
    case storage(StorageRef)
    case tensor(TensorRef)
    case fraction(numerator: Int, denominator: Int)

    /// Nesting depth, tracked as objects are built so no walk is ever recursive.
    var depth: Int {
        switch self {
        case .list(let box): box.depth
        case .dict(let box): box.depth
        case .tuple(_, let depth): depth
        default: 0
        }
    }

    static func makeTuple(_ items: [PickledObject]) -> PickledObject {
        .tuple(items, depth: 1 + (items.map(\.depth).max() ?? 0))
    }
}

/// A restricted unpickler for the pickles `torch.save` writes (protocols 2–5).
///
/// It never imports or calls anything: the few allowed globals are interpreted
/// here, and every length, depth and count is checked before it is used.
struct Unpickler {
    static let maxStack = 1 << 20
    static let maxMarks = 1_000
    static let maxMemo = 1 << 20
    static let maxDepth = 100
    /// Objects pushed, built or recalled from the memo. Every container element is
    /// pushed first, so this also bounds the total size of all containers and the work
    /// done. A demucs checkpoint pushes about 30 per tensor (htdemucs, ~600 tensors:
    /// ~20,000); 2^20 leaves 50× headroom and keeps the unpickler under ~100 MB.
    static let maxObjects = 1 << 20
    /// Values in a checkpoint's `args`, `kwargs` and `training_args` once references
    /// through the memo are copied out. demucs writes a few hundred; 2^18 leaves room for
    /// large training configurations and keeps the copies to tens of MB.
    static let maxPlainValues = 1 << 18

    private let bytes: UnsafeRawBufferPointer
    private var position = 0
    private var pushed = 0
    private var stack: [PickledObject] = []
    private var marks: [Int] = []
    private var memo: [Int: PickledObject] = [:]

    /// Unpickles `bytes` and returns the value `STOP` leaves on top of the stack.
    static func load(_ bytes: UnsafeRawBufferPointer) throws(ModelFileError.Problem) -> PickledObject {
        var unpickler = Unpickler(bytes: bytes)
        return try unpickler.run()
    }

    private init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    private mutating func run() throws(ModelFileError.Problem) -> PickledObject {
        while true {
            let offset = position
            let opcode = try readByte()
            switch opcode {
            case 0x80:  // PROTO
                let version = try readByte()
                guard (2...5).contains(version) else {
                    throw .malformedPickle("protocol \(version) is not 2 to 5")
                }
            case 0x95:  // FRAME: a size hint only
                _ = try read(UInt64.self)
            case 0x2E:  // STOP
                guard let top = stack.last else { throw .malformedPickle("STOP with an empty stack") }
                return top
            case 0x28:  // MARK
                guard marks.count < Self.maxMarks else {
                    throw .limitExceeded("more than \(Self.maxMarks) nested MARKs")
                }
                marks.append(stack.count)
            case 0x7D: try push(.dict(DictBox()))  // EMPTY_DICT
            case 0x5D: try push(.list(ListBox()))  // EMPTY_LIST
            case 0x29: try push(.makeTuple([]))  // EMPTY_TUPLE
            case 0x4E: try push(.none)  // NONE
            case 0x88: try push(.bool(true))  // NEWTRUE
            case 0x89: try push(.bool(false))  // NEWFALSE
            case 0x4B: try push(.int(Int(try readByte())))  // BININT1
            case 0x4D: try push(.int(Int(try read(UInt16.self))))  // BININT2
            case 0x4A: try push(.int(Int(Int32(bitPattern: try read(UInt32.self)))))  // BININT
            case 0x8A: try push(.int(try readLong(length: UInt64(try readByte()), opcode: "LONG1")))
            case 0x8B: try push(.int(try readLong(length: UInt64(try read(UInt32.self)), opcode: "LONG4")))
            case 0x47:  // BINFLOAT: big-endian
                try push(.float(Double(bitPattern: UInt64(bigEndian: try readRaw(UInt64.self)))))
            case 0x8C: try push(.string(try readString(UInt64(try readByte()), "SHORT_BINUNICODE")))
            case 0x58: try push(.string(try readString(UInt64(try read(UInt32.self)), "BINUNICODE")))
            case 0x8D: try push(.string(try readString(try read(UInt64.self), "BINUNICODE8")))
            case 0x55: try push(.string(try readLatin1(UInt64(try readByte()), "SHORT_BINSTRING")))
            case 0x54:  // BINSTRING: signed length
                let length = Int32(bitPattern: try read(UInt32.self))
                guard length >= 0 else { throw .malformedPickle("BINSTRING with negative length") }
                try push(.string(try readLatin1(UInt64(length), "BINSTRING")))
            case 0x43: try push(.bytes(Array(try take(UInt64(try readByte()), "SHORT_BINBYTES"))))
            case 0x42: try push(.bytes(Array(try take(UInt64(try read(UInt32.self)), "BINBYTES"))))
            case 0x8E: try push(.bytes(Array(try take(try read(UInt64.self), "BINBYTES8"))))
            case 0x85: try push(.makeTuple(try pop(1)))  // TUPLE1
            case 0x86: try push(.makeTuple(try pop(2)))  // TUPLE2
            case 0x87: try push(.makeTuple(try pop(3)))  // TUPLE3
            case 0x74: try push(.makeTuple(try popToMark()))  // TUPLE
            case 0x30: _ = try pop(1)  // POP
            case 0x31: _ = try popToMark()  // POP_MARK
            case 0x71: try memoize(Int(try readByte()))  // BINPUT
            case 0x72: try memoize(Int(try read(UInt32.self)))  // LONG_BINPUT
            case 0x94: try memoize(memo.count)  // MEMOIZE
            case 0x68: try recall(Int(try readByte()))  // BINGET
            case 0x6A: try recall(Int(try read(UInt32.self)))  // LONG_BINGET
            case 0x61:  // APPEND
                let item = try pop(1)
                try append(item)
            case 0x65:  // APPENDS
                let items = try popToMark()
                try append(items)
            case 0x73:  // SETITEM
                let pair = try pop(2)
                try setItems(pair)
            case 0x75:  // SETITEMS
                let pairs = try popToMark()
                try setItems(pairs)
            case 0x63:  // GLOBAL
                let module = try readLine()
                let name = try readLine()
                try push(.global(try AllowedGlobal(module: module, name: name)))
            case 0x93:  // STACK_GLOBAL
                let names = try pop(2)
                guard case .string(let module) = names[0], case .string(let name) = names[1] else {
                    throw .malformedPickle("STACK_GLOBAL needs two strings")
                }
                try push(.global(try AllowedGlobal(module: module, name: name)))
            case 0x52, 0x81:  // REDUCE, NEWOBJ
                let operands = try pop(2)
                guard case .global(let callee) = operands[0] else {
                    throw .malformedPickle("REDUCE/NEWOBJ of something that is not a global")
                }
                guard case .tuple(let arguments, _) = operands[1] else {
                    throw .malformedPickle("arguments to '\(callee.qualifiedName)' are not a tuple")
                }
                try push(try Self.call(callee, arguments))
            case 0x62:  // BUILD: only OrderedDict's attribute dict (state_dict's `_metadata`)
                let operands = try pop(2)
                guard case .dict = operands[0] else {
                    throw .malformedPickle("BUILD on something other than a dict")
                }
                try push(operands[0])
            case 0x51:  // BINPERSID
                try push(.storage(try Self.storage(try pop(1)[0])))
            default:
                throw .unknownOpcode(opcode, offset: offset)
            }
        }
    }

    // MARK: Stack and memo

    private mutating func push(_ object: PickledObject) throws(ModelFileError.Problem) {
        pushed += 1
        guard pushed <= Self.maxObjects else {
            throw .limitExceeded("more than \(Self.maxObjects) objects built or recalled from the memo")
        }
        guard stack.count < Self.maxStack else {
            throw .limitExceeded("more than \(Self.maxStack) objects on the stack")
        }
        guard object.depth <= Self.maxDepth else {
            throw .limitExceeded("objects nested more than \(Self.maxDepth) deep")
        }
        stack.append(object)
    }

    private mutating func pop(_ count: Int) throws(ModelFileError.Problem) -> [PickledObject] {
        let floor = marks.last ?? 0
        guard stack.count - floor >= count else { throw .malformedPickle("stack underflow") }
        let items = Array(stack.suffix(count))
        stack.removeLast(count)
        return items
    }

    private mutating func popToMark() throws(ModelFileError.Problem) -> [PickledObject] {
        guard let mark = marks.popLast() else { throw .malformedPickle("no MARK to pop to") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private mutating func memoize(_ index: Int) throws(ModelFileError.Problem) {
        guard let top = stack.last else { throw .malformedPickle("memoizing an empty stack") }
        guard memo.count < Self.maxMemo || memo[index] != nil else {
            throw .limitExceeded("more than \(Self.maxMemo) memo entries")
        }
        memo[index] = top
    }

    private mutating func recall(_ index: Int) throws(ModelFileError.Problem) {
        guard let object = memo[index] else { throw .malformedPickle("memo entry \(index) is unset") }
        try push(object)
    }

    private mutating func append(_ items: [PickledObject]) throws(ModelFileError.Problem) {
        guard case .list(let list) = try pop(1)[0] else {
            throw .malformedPickle("APPEND(S) to something other than a list")
        }
        list.items += items
        list.depth = max(list.depth, 1 + (items.map(\.depth).max() ?? 0))
        try push(.list(list))
    }

    private mutating func setItems(_ pairs: [PickledObject]) throws(ModelFileError.Problem) {
        guard pairs.count % 2 == 0 else { throw .malformedPickle("SETITEMS with an odd item count") }
        guard case .dict(let dict) = try pop(1)[0] else {
            throw .malformedPickle("SETITEM(S) on something other than a dict")
        }
        for i in stride(from: 0, to: pairs.count, by: 2) {
            dict.set(pairs[i], pairs[i + 1])
        }
        try push(.dict(dict))
    }

    // MARK: Reading operands

    private mutating func readByte() throws(ModelFileError.Problem) -> UInt8 {
        guard position < bytes.count else {
            throw .truncated("pickle ends at byte \(position) without STOP")
        }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func readRaw<T: FixedWidthInteger>(_: T.Type) throws(ModelFileError.Problem) -> T {
        let size = MemoryLayout<T>.size
        guard bytes.count - position >= size else {
            throw .truncated("pickle ends inside an operand at byte \(position)")
        }
        defer { position += size }
        return bytes.loadUnaligned(fromByteOffset: position, as: T.self)
    }

    private mutating func read<T: FixedWidthInteger>(_ type: T.Type) throws(ModelFileError.Problem) -> T {
        T(littleEndian: try readRaw(type))
    }

    /// The next `length` bytes, checked against what remains before anything is allocated.
    private mutating func take(_ length: UInt64, _ opcode: String) throws(ModelFileError.Problem) -> UnsafeRawBufferPointer {
        let remaining = bytes.count - position
        guard length <= UInt64(remaining) else {
            throw .lengthPastEnd(opcode: opcode, claimed: length, remaining: remaining)
        }
        defer { position += Int(length) }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<position + Int(length)])
    }

    private mutating func readString(_ length: UInt64, _ opcode: String) throws(ModelFileError.Problem) -> String {
        guard let string = String(validating: try take(length, opcode), as: UTF8.self) else {
            throw .malformedPickle("\(opcode) at byte \(position) is not valid UTF-8")
        }
        return string
    }

    /// Python 2 `str` bytes, decoded one byte per character.
    private mutating func readLatin1(_ length: UInt64, _ opcode: String) throws(ModelFileError.Problem) -> String {
        String(String.UnicodeScalarView(try take(length, opcode).map { Unicode.Scalar($0) }))
    }

    /// A little-endian two's-complement integer of `length` bytes that fits in Int.
    private mutating func readLong(length: UInt64, opcode: String) throws(ModelFileError.Problem) -> Int {
        let digits = try take(length, opcode)
        guard digits.count <= 8 else {
            throw .malformedPickle("\(opcode) integer of \(digits.count) bytes does not fit in 64 bits")
        }
        guard let last = digits.last else { return 0 }
        var value: UInt64 = last & 0x80 != 0 ? ~0 : 0
        for byte in digits.reversed() {
            value = value << 8 | UInt64(byte)
        }
        return Int(Int64(bitPattern: value))
    }

    /// A `GLOBAL` operand line, ended by a newline within 256 bytes.
    private mutating func readLine() throws(ModelFileError.Problem) -> String {
        let window = bytes[position..<min(bytes.count, position + 256)]
        guard let newline = window.firstIndex(of: 0x0A) else {
            throw .malformedPickle("GLOBAL operand at byte \(position) has no newline")
        }
        let line = UnsafeRawBufferPointer(rebasing: bytes[position..<newline])
        position = newline + 1
        guard let string = String(validating: line, as: UTF8.self) else {
            throw .malformedPickle("GLOBAL operand is not UTF-8")
        }
        return string
    }

    // MARK: Allowed calls

    /// Interprets a REDUCE/NEWOBJ of an allowed global.
    private static func call(
        _ callee: AllowedGlobal, _ arguments: [PickledObject]
    ) throws(ModelFileError.Problem) -> PickledObject {
        switch callee {
        case .orderedDict:
            guard arguments.isEmpty else { throw .malformedPickle("OrderedDict called with arguments") }
            return .dict(DictBox())
        case .rebuildTensor:
            return .tensor(try tensor(arguments))
        case .fraction:
            return try fraction(arguments)
        case .storage, .demucsClass:
            throw .forbiddenCall(callee.qualifiedName)
        }
    }

    /// `_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])`.
    private static func tensor(_ arguments: [PickledObject]) throws(ModelFileError.Problem) -> TensorRef {
        guard (6...7).contains(arguments.count),
              case .storage(let storage) = arguments[0],
              case .int(let offset) = arguments[1], offset >= 0,
              let shape = integers(arguments[2]),
              let stride = integers(arguments[3]),
              shape.count == stride.count
        else { throw .malformedPickle("_rebuild_tensor_v2 arguments are not (storage, offset, size, stride, ...)") }
        return TensorRef(storage: storage, offset: offset, shape: shape, stride: stride)
    }

    private static func integers(_ object: PickledObject) -> [Int]? {
        guard case .tuple(let items, _) = object else { return nil }
        var values: [Int] = []
        for item in items {
            guard case .int(let value) = item else { return nil }
            values.append(value)
        }
        return values
    }

    /// `Fraction('39/5')` (older Pythons) or `Fraction(39, 5)` (3.11 and later).
    private static func fraction(_ arguments: [PickledObject]) throws(ModelFileError.Problem) -> PickledObject {
        var numerator: Int?, denominator: Int?
        switch arguments.count {
        case 1:
            guard case .string(let text) = arguments[0] else { break }
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            numerator = parts.count <= 2 ? Int(parts[0]) : nil
            denominator = parts.count == 2 ? Int(parts[1]) : 1
        case 2:
            if case .int(let top) = arguments[0], case .int(let bottom) = arguments[1] {
                (numerator, denominator) = (top, bottom)
            }
        default: break
        }
        guard var numerator, var denominator, denominator != 0,
              numerator != .min, denominator != .min
        else { throw .malformedPickle("Fraction arguments are not a valid fraction") }
        if denominator < 0 { (numerator, denominator) = (-numerator, -denominator) }
        var (a, b) = (abs(numerator), denominator)
        while b != 0 { (a, b) = (b, a % b) }
        return .fraction(numerator: numerator / a, denominator: denominator / a)
    }

    /// A `BINPERSID` id: `('storage', <storage global>, key, location, numel)`.
    private static func storage(_ id: PickledObject) throws(ModelFileError.Problem) -> StorageRef {
        guard case .tuple(let items, _) = id, items.count == 5,
              case .string("storage") = items[0],
              case .global(let type) = items[1],
              case .string(let key) = items[2],
              case .string = items[3],
              case .int(let count) = items[4], count >= 0
        else { throw .malformedPickle("persistent id is not ('storage', type, key, location, numel)") }
        guard case .storage(let elementType) = type else {
            throw .malformedPickle("persistent id names '\(type.qualifiedName)' as a storage type")
        }
        return StorageRef(type: elementType, key: key, count: count)
    }
}
