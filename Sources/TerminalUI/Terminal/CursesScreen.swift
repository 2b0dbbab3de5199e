import CCurses

/// Copies screen buffers to curses and reads keys and mouse events from it.
final class CursesScreen: TerminalDevice {
    private let terminal: Terminal
    /// The theme whose colour pairs are loaded.
    private var loadedTheme: Theme?
    /// Attributes and colour pair per role, indexed like `StyleRole.allCases`.
    private var looks: [(attributes: attr_t, pair: Int16)] = []

    init(terminal: Terminal) {
        self.terminal = terminal
    }

    var size: ScreenSize {
        ScreenSize(width: Int(ccurses_max_x(ccurses_stdscr())), height: Int(ccurses_max_y(ccurses_stdscr())))
    }

    var supportsUnicode: Bool { terminal.isUTF8 }

    func present(_ buffer: ScreenBuffer, theme: Theme) {
        if loadedTheme != theme { load(theme) }
        let window = ccurses_stdscr()
        let roles = StyleRole.allCases
        for y in 0..<buffer.size.height {
            var x = 0
            while x < buffer.size.width {
                // One call per run of cells in the same role.
                let role = buffer[x, y].role
                var run: [wchar_t] = []
                let start = x
                while x < buffer.size.width, buffer[x, y].role == role {
                    if !buffer[x, y].isContinuation {
                        run += buffer[x, y].character.unicodeScalars.map { wchar_t(bitPattern: $0.value) }
                    }
                    x += 1
                }
                let look = looks[roles.firstIndex(of: role) ?? 0]
                wattr_set(window, look.attributes, look.pair, nil)
                run.append(0)
                // The bottom-right cell makes curses report an error after writing: ignored.
                _ = mvwaddnwstr(window, Int32(y), Int32(start), run, Int32(run.count - 1))
            }
        }
        wrefresh(window)
    }

    func nextEvent(timeoutMilliseconds: Int) -> InputEvent? {
        if ccurses_termination_signal() != 0 { return .terminate }
        if ccurses_take_suspend_request() != 0 {
            terminal.suspend()
            return .resize
        }
        wtimeout(ccurses_stdscr(), Int32(timeoutMilliseconds))
        var code: wint_t = 0
        let status = wget_wch(ccurses_stdscr(), &code)
        if ccurses_termination_signal() != 0 { return .terminate }
        switch status {
        case OK: return Self.characterEvent(code)
        case KEY_CODE_YES: return functionKeyEvent(Int32(code))
        default: return ccurses_terminal_gone() != 0 ? .terminate : nil
        }
    }

    private static func characterEvent(_ code: wint_t) -> InputEvent? {
        switch code {
        case 9: return .key(.tab)
        case 10, 13: return .key(.enter)
        case 27: return .key(.escape)
        case 8, 127: return .key(.backspace)
        default:
            guard let scalar = Unicode.Scalar(UInt32(code)), code >= 32 else { return nil }
            return .key(.character(Character(scalar)))
        }
    }

    private func functionKeyEvent(_ code: Int32) -> InputEvent? {
        switch code {
        case KEY_UP: return .key(.up)
        case KEY_DOWN: return .key(.down)
        case KEY_LEFT: return .key(.left)
        case KEY_RIGHT: return .key(.right)
        case KEY_SLEFT: return .key(.shiftLeft)
        case KEY_SRIGHT: return .key(.shiftRight)
        case KEY_HOME: return .key(.home)
        case KEY_END: return .key(.end)
        case KEY_PPAGE: return .key(.pageUp)
        case KEY_NPAGE: return .key(.pageDown)
        case KEY_BTAB: return .key(.backTab)
        case KEY_ENTER: return .key(.enter)
        case KEY_BACKSPACE: return .key(.backspace)
        case KEY_RESIZE: return .resize
        case KEY_MOUSE:
            var x: Int32 = 0
            var y: Int32 = 0
            let kinds: [Int32: MouseEvent.Kind] = [
                Int32(CCURSES_MOUSE_PRESS): .press, Int32(CCURSES_MOUSE_RELEASE): .release,
                Int32(CCURSES_MOUSE_DRAG): .drag, Int32(CCURSES_MOUSE_SCROLL_UP): .scrollUp,
                Int32(CCURSES_MOUSE_SCROLL_DOWN): .scrollDown,
            ]
            guard let kind = kinds[ccurses_read_mouse(&x, &y)] else { return nil }
            return .mouse(MouseEvent(kind, x: Int(x), y: Int(y)))
        default: return nil
        }
    }

    /// Makes one colour pair per role from `theme`; without colours, attributes only.
    private func load(_ theme: Theme) {
        let colorCount = Int(ccurses_colors())
        looks = StyleRole.allCases.enumerated().map { offset, role in
            let style = theme.style(for: role)
            let pair = Int16(offset + 1)
            var attributes = style.attributes
            if terminal.hasColors {
                init_pair(pair, Int16(style.foreground.cursesColor(colorCount: colorCount)),
                          Int16(style.background.cursesColor(colorCount: colorCount)))
            } else {
                attributes.formUnion(role.monochromeAttributes)
            }
            return (Self.cursesAttributes(attributes), terminal.hasColors ? pair : 0)
        }
        loadedTheme = theme
    }

    private static func cursesAttributes(_ attributes: Set<TextAttribute>) -> attr_t {
        attributes.reduce(ccurses_a_normal()) { result, attribute in
            switch attribute {
            case .bold: result | ccurses_a_bold()
            case .dim: result | ccurses_a_dim()
            case .reverse: result | ccurses_a_reverse()
            case .underline: result | ccurses_a_underline()
            }
        }
    }
}
