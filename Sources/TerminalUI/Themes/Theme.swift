/// A colour in a theme: the terminal's default, one of the 16 ANSI colours, or an
/// index into the 256-colour palette.
public enum ThemeColor: Sendable, Equatable {
    case terminalDefault
    case palette(Int)

    /// ANSI names in palette order; `bright-` prefixed names are 8…15.
    static let names = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]

    /// Parses `default`, `red`, `bright-red`, or `0`…`255` given as text.
    init?(name: String) {
        let lowered = name.lowercased()
        if lowered == "default" {
            self = .terminalDefault
        } else if let index = Self.names.firstIndex(of: lowered) {
            self = .palette(index)
        } else if lowered.hasPrefix("bright-"), let index = Self.names.firstIndex(of: String(lowered.dropFirst(7))) {
            self = .palette(index + 8)
        } else {
            return nil
        }
    }

    /// The curses colour number on a terminal with `colorCount` colours (-1 is the
    /// default colour): colours the terminal lacks fall back to the nearest it has.
    func cursesColor(colorCount: Int) -> Int {
        switch self {
        case .terminalDefault: return -1
        case .palette(let index) where index < colorCount: return index
        case .palette(let index) where index < 16: return index - 8
        case .palette(let index): return Self.nearestBasic(toPaletteIndex: index, colorCount: colorCount)
        }
    }

    /// The nearest of the first 8 (or 16) colours to xterm 256-palette entry `index`.
    private static func nearestBasic(toPaletteIndex index: Int, colorCount: Int) -> Int {
        func rgb(_ i: Int) -> (Int, Int, Int) {
            if i < 16 {
                let level = i >= 8 ? 255 : 205
                return (i & 1 == 0 ? 0 : level, i & 2 == 0 ? 0 : level, i & 4 == 0 ? 0 : level)
            }
            if i >= 232 {
                let grey = 8 + (i - 232) * 10
                return (grey, grey, grey)
            }
            let cube = i - 16
            let steps = [0, 95, 135, 175, 215, 255]
            return (steps[cube / 36], steps[cube / 6 % 6], steps[cube % 6])
        }
        let target = rgb(index)
        let candidates = 0..<min(16, max(8, colorCount))
        return candidates.min { a, b in
            func distance(_ c: (Int, Int, Int)) -> Int {
                let d = (c.0 - target.0, c.1 - target.1, c.2 - target.2)
                return d.0 * d.0 + d.1 * d.1 + d.2 * d.2
            }
            return distance(rgb(a)) < distance(rgb(b))
        } ?? 7
    }
}

/// How one role looks.
public struct Style: Sendable, Equatable {
    public var foreground: ThemeColor
    public var background: ThemeColor
    public var attributes: Set<TextAttribute>

    public init(foreground: ThemeColor = .terminalDefault, background: ThemeColor = .terminalDefault,
                attributes: Set<TextAttribute> = []) {
        self.foreground = foreground
        self.background = background
        self.attributes = attributes
    }
}

/// A colour theme: a style for every role.
public struct Theme: Sendable, Equatable {
    /// The file name without `.toml`, or `default` for the built-in theme.
    public var name: String
    public var styles: [StyleRole: Style]

    public init(name: String, styles: [StyleRole: Style]) {
        self.name = name
        self.styles = styles
    }

    /// The style for `role` (plain text if the theme lacks it).
    public func style(for role: StyleRole) -> Style {
        styles[role] ?? Style()
    }
}
