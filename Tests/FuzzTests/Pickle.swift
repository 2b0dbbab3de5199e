/// The opcodes of a pickle as byte ranges, and the dict items found by simulating the
/// pickle machine's stack well enough to know which bytes make up each key and value.
struct Pickle {
    struct Token {
        var op: UInt8
        var range: Range<Int>
    }
    /// A span of tokens (inclusive) that builds one object.
    struct Span {
        var start: Int
        var end: Int
    }
    struct Item {
        var key: Span
        var keyString: String?
        var value: Span
    }

    let bytes: [UInt8]
    var tokens: [Token] = []
    /// Items set into each dict, by the index of the token that created the dict.
    var dictItems: [Int: [Item]] = [:]

    init?(_ bytes: [UInt8]) {
        self.bytes = bytes
        guard tokenize(), simulate() else { return nil }
    }

    func string(_ token: Token) -> String? {
        let r = token.range
        switch token.op {
        case 0x58: return String(decoding: bytes[(r.lowerBound + 5)..<r.upperBound], as: UTF8.self)
        case 0x8c: return String(decoding: bytes[(r.lowerBound + 2)..<r.upperBound], as: UTF8.self)
        default: return nil
        }
    }

    func integer(_ token: Token) -> Int64? {
        let b = Array(bytes[token.range])
        switch token.op {
        case 0x4b: return Int64(b[1])
        case 0x4d: return Int64(b.readLE(at: 1, width: 2))
        case 0x4a: return Int64(Int32(truncatingIfNeeded: b.readLE(at: 1, width: 4)))
        default: return nil
        }
    }

    static func isInteger(_ op: UInt8) -> Bool { [0x4b, 0x4d, 0x4a, 0x8a, 0x8b].contains(op) }
    static func isString(_ op: UInt8) -> Bool { [0x58, 0x8c].contains(op) }
    static func isPut(_ op: UInt8) -> Bool { [0x71, 0x72, 0x94].contains(op) }

    private mutating func tokenize() -> Bool {
        var i = 0
        func length(_ at: Int, _ width: Int) -> Int? {
            guard at + width <= bytes.count else { return nil }
            let n = bytes.readLE(at: at, width: width)
            return n < UInt64(bytes.count) ? Int(n) : nil
        }
        while i < bytes.count {
            let op = bytes[i]
            var size: Int
            switch op {
            case 0x28, 0x2e, 0x30, 0x31, 0x32, 0x4e, 0x88, 0x89, 0x7d, 0x5d, 0x29, 0x74, 0x85, 0x86, 0x87, 0x52, 0x62,
                0x61, 0x65, 0x73, 0x75, 0x51, 0x64, 0x6c, 0x81, 0x8f, 0x90, 0x91, 0x93, 0x94:
                size = 1
            case 0x80, 0x4b, 0x71, 0x68: size = 2
            case 0x4d: size = 3
            case 0x4a, 0x72, 0x6a: size = 5
            case 0x47: size = 9
            case 0x95: size = 9
            case 0x8c, 0x43, 0x55, 0x8a:
                guard let n = length(i + 1, 1) else { return false }
                size = 2 + n
            case 0x58, 0x42, 0x54, 0x8b:
                guard let n = length(i + 1, 4) else { return false }
                size = 5 + n
            case 0x8d, 0x8e:
                guard let n = length(i + 1, 8) else { return false }
                size = 9 + n
            case 0x63:
                var newlines = 0
                var j = i + 1
                while j < bytes.count, newlines < 2 {
                    if bytes[j] == 0x0a { newlines += 1 }
                    j += 1
                }
                guard newlines == 2 else { return false }
                size = j - i
            default: return false
            }
            guard i + size <= bytes.count else { return false }
            tokens.append(Token(op: op, range: i..<(i + size)))
            i += size
            if op == 0x2e { break }
        }
        return tokens.last?.op == 0x2e
    }

    private enum Entry {
        case mark(Int)
        case object(Span)
    }

    private mutating func simulate() -> Bool {
        var stack: [Entry] = []
        func pop() -> Span? {
            guard case .object(let s)? = stack.popLast() else { return nil }
            return s
        }
        func popToMark() -> (Int, [Span])? {
            var items: [Span] = []
            while let last = stack.popLast() {
                switch last {
                case .mark(let at): return (at, items.reversed())
                case .object(let s): items.append(s)
                }
            }
            return nil
        }
        func extendTop(_ end: Int) -> Bool {
            guard case .object(var s)? = stack.last else { return false }
            s.end = end
            stack[stack.count - 1] = .object(s)
            return true
        }
        for (i, token) in tokens.enumerated() {
            switch token.op {
            case 0x80, 0x95, 0x2e: continue
            case 0x28: stack.append(.mark(i))
            case 0x71, 0x72, 0x94: guard extendTop(i) else { return false }
            case 0x30: guard pop() != nil else { return false }
            case 0x31: guard popToMark() != nil else { return false }
            case 0x32: guard let last = stack.last else { return false }; stack.append(last)
            case 0x74, 0x64, 0x6c, 0x91:
                guard let (mark, _) = popToMark() else { return false }
                stack.append(.object(Span(start: mark, end: i)))
            case 0x85, 0x86, 0x87:
                var first = i
                for _ in 0..<Int(token.op - 0x84) { guard let s = pop() else { return false }; first = s.start }
                stack.append(.object(Span(start: first, end: i)))
            case 0x52, 0x81, 0x93:
                guard pop() != nil, let callable = pop() else { return false }
                stack.append(.object(Span(start: callable.start, end: i)))
            case 0x51:
                guard let pid = pop() else { return false }
                stack.append(.object(Span(start: pid.start, end: i)))
            case 0x62:
                guard pop() != nil, extendTop(i) else { return false }
            case 0x61:
                guard pop() != nil, extendTop(i) else { return false }
            case 0x65, 0x90:
                guard popToMark() != nil, extendTop(i) else { return false }
            case 0x73:
                guard let value = pop(), let key = pop(), case .object(let dict)? = stack.last else { return false }
                dictItems[dict.start, default: []].append(
                    Item(key: key, keyString: key.start == key.end ? string(tokens[key.start]) : nil, value: value))
                _ = extendTop(i)
            case 0x75:
                guard let (_, items) = popToMark(), items.count % 2 == 0, case .object(let dict)? = stack.last else {
                    return false
                }
                for pair in stride(from: 0, to: items.count, by: 2) {
                    let key = items[pair]
                    // A key is one string token, perhaps followed by its memo put.
                    let keyString = Pickle.isString(tokens[key.start].op) ? string(tokens[key.start]) : nil
                    dictItems[dict.start, default: []].append(Item(key: key, keyString: keyString, value: items[pair + 1]))
                }
                _ = extendTop(i)
            default:
                stack.append(.object(Span(start: i, end: i)))
            }
        }
        return true
    }

    /// The items of the dict that `span` builds (a dict created by EMPTY_DICT at its start).
    func items(of span: Span) -> [Item] { dictItems[span.start] ?? [] }

    /// The top-level dict's value for `key`.
    func topLevel(_ key: String) -> Span? {
        guard let top = tokens.firstIndex(where: { $0.op == 0x7d }) else { return nil }
        return dictItems[top]?.first { $0.keyString == key }?.value
    }

    /// The bytes with token spans replaced (replacements must not overlap).
    func replacing(_ replacements: [(Span, [UInt8])]) -> [UInt8] {
        var result: [UInt8] = []
        var cursor = 0
        for (span, new) in replacements.sorted(by: { $0.0.start < $1.0.start }) {
            let from = tokens[span.start].range.lowerBound
            let to = tokens[span.end].range.upperBound
            guard from >= cursor else { continue }
            result += bytes[cursor..<from]
            result += new
            cursor = to
        }
        result += bytes[cursor...]
        return result
    }

    /// The memo puts within `span` (so that a replacement still defines what later gets refer to).
    func puts(in span: Span) -> [UInt8] {
        (span.start...span.end).filter { Pickle.isPut(tokens[$0].op) }.flatMap { Array(bytes[tokens[$0].range]) }
    }
}

/// Pickle encodings of the values a mutation puts in.
enum PickleValue {
    static func int(_ v: Int64) -> [UInt8] {
        if (0...255).contains(v) { return [0x4b, UInt8(v)] }
        if (0...65535).contains(v) { return [0x4d, UInt8(v & 0xff), UInt8(v >> 8)] }
        if (Int64(Int32.min)...Int64(Int32.max)).contains(v) {
            var b: [UInt8] = [0x4a, 0, 0, 0, 0]
            b.putLE(UInt64(bitPattern: v), at: 1, width: 4)
            return b
        }
        var b: [UInt8] = [0x8a, 8, 0, 0, 0, 0, 0, 0, 0, 0]
        b.putLE(UInt64(bitPattern: v), at: 2, width: 8)
        return b
    }
    /// A positive integer of `byteCount` bytes, all 0xff but a clear top bit: up to 2^(8n-1).
    static func huge(byteCount: Int) -> [UInt8] {
        [0x8a, UInt8(byteCount)] + [UInt8](repeating: 0xff, count: byteCount - 1) + [0x7f]
    }
    static func float(_ v: Double) -> [UInt8] {
        [0x47] + (0..<8).map { UInt8(truncatingIfNeeded: v.bitPattern >> (56 - 8 * UInt64($0))) }
    }
    static func string(_ s: String) -> [UInt8] { rawString(Array(s.utf8)) }
    static func rawString(_ b: [UInt8]) -> [UInt8] {
        var head: [UInt8] = [0x58, 0, 0, 0, 0]
        head.putLE(UInt64(b.count), at: 1, width: 4)
        return head + b
    }
    static let none: [UInt8] = [0x4e]
    static func bool(_ v: Bool) -> [UInt8] { [v ? 0x88 : 0x89] }
    static func list(_ items: [[UInt8]]) -> [UInt8] { items.isEmpty ? [0x5d] : [0x5d, 0x28] + items.flatMap { $0 } + [0x65] }
    static func tuple(_ items: [[UInt8]]) -> [UInt8] { [0x28] + items.flatMap { $0 } + [0x74] }
    static func global(_ module: String, _ name: String) -> [UInt8] { [0x63] + Array("\(module)\n\(name)\n".utf8) }
    static func fraction(_ n: [UInt8], _ d: [UInt8]) -> [UInt8] { global("fractions", "Fraction") + tuple([n, d]) + [0x52] }
    /// Lists nested `depth` deep, each holding `width` references to the one below through the
    /// memo: a few hundred bytes that describe width^depth elements.
    static func memoBomb(width: Int, depth: Int) -> [UInt8] {
        func put(_ i: Int) -> [UInt8] { var b: [UInt8] = [0x72, 0, 0, 0, 0]; b.putLE(UInt64(i), at: 1, width: 4); return b }
        func get(_ i: Int) -> [UInt8] { var b: [UInt8] = [0x6a, 0, 0, 0, 0]; b.putLE(UInt64(i), at: 1, width: 4); return b }
        let base = 900_000
        var out = list((0..<width).map { _ in int(1) }) + put(base)
        for level in 1..<depth {
            out += [0x30]  // POP: the previous level stays reachable through the memo only
            out += list((0..<width).map { _ in get(base + level - 1) }) + put(base + level)
        }
        return out
    }
}
