/// A JSON value as the safetensors header needs it: integers only, objects as
/// ordered pairs so duplicate keys stay visible.
enum JSONValue: Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.int(let a), .int(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)):
            a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: false
        }
    }

    /// Text for a string, with the escapes JSON requires.
    static func quoted(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20:
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// A strict, depth-limited JSON parser over UTF-8 bytes.
struct JSONParser {
    static let maxDepth = 32

    private let bytes: UnsafeRawBufferPointer
    private var position = 0

    static func parse(_ bytes: UnsafeRawBufferPointer) throws(ModelFileError.Problem) -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.position == bytes.count else { throw parser.fail("trailing characters") }
        return value
    }

    private init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    private func fail(_ what: String) -> ModelFileError.Problem {
        .malformedHeader("\(what) at byte \(position) of the JSON")
    }

    private mutating func skipSpace() {
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) {
            position += 1
        }
    }

    private mutating func expect(_ literal: String) throws(ModelFileError.Problem) {
        for byte in literal.utf8 {
            guard position < bytes.count, bytes[position] == byte else { throw fail("expected '\(literal)'") }
            position += 1
        }
    }

    private mutating func value(depth: Int) throws(ModelFileError.Problem) -> JSONValue {
        guard depth <= Self.maxDepth else { throw fail("nesting deeper than \(Self.maxDepth)") }
        skipSpace()
        guard position < bytes.count else { throw fail("unexpected end") }
        switch bytes[position] {
        case UInt8(ascii: "{"):
            position += 1
            var pairs: [(key: String, value: JSONValue)] = []
            skipSpace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
                position += 1
                return .object(pairs)
            }
            while true {
                skipSpace()
                let key = try string()
                skipSpace()
                try expect(":")
                pairs.append((key, try value(depth: depth + 1)))
                skipSpace()
                if position < bytes.count, bytes[position] == UInt8(ascii: ",") {
                    position += 1
                } else {
                    try expect("}")
                    return .object(pairs)
                }
            }
        case UInt8(ascii: "["):
            position += 1
            var items: [JSONValue] = []
            skipSpace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
                position += 1
                return .array(items)
            }
            while true {
                items.append(try value(depth: depth + 1))
                skipSpace()
                if position < bytes.count, bytes[position] == UInt8(ascii: ",") {
                    position += 1
                } else {
                    try expect("]")
                    return .array(items)
                }
            }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        default: return .int(try integer())
        }
    }

    /// An integer; fractions and exponents have no place in a safetensors header.
    private mutating func integer() throws(ModelFileError.Problem) -> Int {
        let start = position
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
        while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
            position += 1
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        guard let value = Int(text) else { throw fail("expected an integer") }
        return value
    }

    private mutating func string() throws(ModelFileError.Problem) -> String {
        try expect("\"")
        var utf8: [UInt8] = []
        while true {
            guard position < bytes.count else { throw fail("unterminated string") }
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let string = String(validating: utf8, as: UTF8.self) else {
                    throw fail("string is not UTF-8")
                }
                return string
            case UInt8(ascii: "\\"):
                try escape(into: &utf8)
            case 0..<0x20:
                throw fail("control character in string")
            default:
                utf8.append(byte)
            }
        }
    }

    private mutating func escape(into utf8: inout [UInt8]) throws(ModelFileError.Problem) {
        guard position < bytes.count else { throw fail("unterminated escape") }
        let byte = bytes[position]
        position += 1
        let simple: [UInt8: UInt8] = [
            UInt8(ascii: "\""): 0x22, UInt8(ascii: "\\"): 0x5C, UInt8(ascii: "/"): 0x2F,
            UInt8(ascii: "b"): 0x08, UInt8(ascii: "f"): 0x0C, UInt8(ascii: "n"): 0x0A,
            UInt8(ascii: "r"): 0x0D, UInt8(ascii: "t"): 0x09,
        ]
        if let plain = simple[byte] {
            utf8.append(plain)
            return
        }
        guard byte == UInt8(ascii: "u") else { throw fail("bad escape") }
        var code = try hex4()
        if (0xD800..<0xDC00).contains(code) {
            try expect("\\u")
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate") }
            code = 0x10000 + (code - 0xD800) << 10 + (low - 0xDC00)
        }
        guard let scalar = Unicode.Scalar(code) else { throw fail("invalid \\u escape") }
        utf8.append(contentsOf: String(Character(scalar)).utf8)
    }

    private mutating func hex4() throws(ModelFileError.Problem) -> UInt32 {
        guard bytes.count - position >= 4,
              let code = UInt32(
                String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position..<position + 4]), as: UTF8.self),
                radix: 16)
        else { throw fail("bad \\u escape") }
        position += 4
        return code
    }
}
