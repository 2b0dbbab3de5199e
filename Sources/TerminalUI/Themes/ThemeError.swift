/// Why a theme could not be used: which file, which key, what is wrong.
public struct ThemeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The theme file (or the name that was asked for).
    public var file: String
    /// The dotted key at fault, e.g. `roles.fader.fg`; nil for file-level problems.
    public var key: String?
    public var message: String

    public init(file: String, key: String? = nil, message: String) {
        self.file = file
        self.key = key
        self.message = message
    }

    public var description: String {
        [file, key, message].compactMap { $0 }.joined(separator: ": ")
    }
}
