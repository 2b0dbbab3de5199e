/// A key as the screen understands it, independent of curses key codes.
public enum Key: Sendable, Hashable {
    case character(Character)
    case up, down, left, right
    case shiftLeft, shiftRight
    case home, end, pageUp, pageDown
    case tab, backTab, enter, escape, backspace

    /// How help and the footer write this key.
    func displayName(glyphs: GlyphSet) -> String {
        switch self {
        case .character(" "): "Space"
        case .character(let c): String(c)
        case .up: glyphs.up
        case .down: glyphs.down
        case .left: glyphs.left
        case .right: glyphs.right
        case .shiftLeft: "Shift-" + glyphs.left
        case .shiftRight: "Shift-" + glyphs.right
        case .home: "Home"
        case .end: "End"
        case .pageUp: "PgUp"
        case .pageDown: "PgDn"
        case .tab: "Tab"
        case .backTab: "Shift-Tab"
        case .enter: "Enter"
        case .escape: "Esc"
        case .backspace: "Backspace"
        }
    }
}

/// What the primary mouse button or the wheel did, at a cell.
public struct MouseEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case press, drag, release, scrollUp, scrollDown
    }

    public var kind: Kind
    public var x: Int
    public var y: Int

    public init(_ kind: Kind, x: Int, y: Int) {
        self.kind = kind
        self.x = x
        self.y = y
    }
}

/// Something that happened at the terminal.
public enum InputEvent: Sendable, Equatable {
    case key(Key)
    case mouse(MouseEvent)
    /// The terminal changed size (or came back from Ctrl-Z): lay out again.
    case resize
    /// SIGINT, SIGTERM or SIGHUP: quit now, without asking.
    case terminate
}
