/// A plain Python value from a checkpoint's `args`, `kwargs` or `training_args`.
public indirect enum PickleValue: Sendable, Equatable {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case list([PickleValue])
    case tuple([PickleValue])
    /// A dict or OrderedDict, in insertion order.
    case dict([PickleDictEntry])
    /// A `fractions.Fraction`, normalized: positive denominator, lowest terms.
    case fraction(numerator: Int, denominator: Int)
    /// A class named, never constructed (e.g. the model class).
    case global(module: String, name: String)

    /// The value for a string key when this is a dict.
    public subscript(key: String) -> PickleValue? {
        guard case .dict(let entries) = self else { return nil }
        return entries.first { $0.key == .string(key) }?.value
    }

    /// The integer, or nil for anything else.
    public var intValue: Int? {
        if case .int(let value) = self { value } else { nil }
    }

    /// The number as a Double: ints, floats and fractions.
    public var doubleValue: Double? {
        switch self {
        case .int(let value): Double(value)
        case .float(let value): value
        case .fraction(let numerator, let denominator): Double(numerator) / Double(denominator)
        default: nil
        }
    }

    /// The boolean, or nil for anything else.
    public var boolValue: Bool? {
        if case .bool(let value) = self { value } else { nil }
    }

    /// The string, or nil for anything else.
    public var stringValue: String? {
        if case .string(let value) = self { value } else { nil }
    }

    /// The elements of a list or tuple.
    public var elements: [PickleValue]? {
        switch self {
        case .list(let items), .tuple(let items): items
        default: nil
        }
    }
}

/// One key/value pair of a `PickleValue.dict`.
public struct PickleDictEntry: Sendable, Equatable {
    public let key: PickleValue
    public let value: PickleValue

    public init(key: PickleValue, value: PickleValue) {
        self.key = key
        self.value = value
    }
}
