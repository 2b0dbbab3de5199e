import CCurses
import Foundation

/// Why the terminal could not be opened.
public struct TerminalError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// Owns curses for as long as the mixer is on screen, and makes sure the terminal is
/// given back: on `close()`, on SIGINT/SIGTERM/SIGHUP/SIGQUIT/SIGUSR1/SIGUSR2/SIGXCPU/
/// SIGPWR (the loop sees `.terminate` and quits cleanly; a second one acts at once),
/// across Ctrl-Z, on exit, and on crash, timer and I/O-limit signals (the C shim writes
/// the saved reset sequence and terminal modes, then re-raises).
final class Terminal {
    /// Whether the locale's character set is UTF-8 (else the ASCII glyphs are used).
    let isUTF8: Bool
    let hasColors: Bool
    let hasMouse: Bool
    private let screen: OpaquePointer
    private var isOpen = true

    /// Sets the locale, installs the signal handlers and starts curses in the
    /// alternate screen: cbreak, no echo, keypad, hidden cursor, mouse.
    /// - Throws: `TerminalError` when standard input/output is not a terminal curses knows.
    init() throws {
        setlocale(LC_ALL, "")
        isUTF8 = ccurses_locale_is_utf8() != 0
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            throw TerminalError(description: "the mixer needs a terminal on standard input and output")
        }
        ccurses_install_handlers()
        guard let screen = ccurses_newterm() else {
            ccurses_remove_handlers()
            let name = ProcessInfo.processInfo.environment["TERM"] ?? "(unset)"
            throw TerminalError(description: "cannot open the terminal: TERM=\(name) is not known to curses")
        }
        self.screen = screen
        ccurses_arm_emergency_restore()
        cbreak()
        noecho()
        nonl()
        keypad(ccurses_stdscr(), true)
        set_escdelay(25)
        curs_set(0)
        hasColors = has_colors()
        if hasColors {
            start_color()
            use_default_colors()
        }
        hasMouse = ccurses_enable_mouse() != 0
    }

    /// Leaves curses and puts the terminal back as it was. Safe to call twice.
    func close() {
        guard isOpen else { return }
        isOpen = false
        if hasMouse { ccurses_disable_mouse() }
        curs_set(1)
        endwin()
        delscreen(screen)
        ccurses_remove_handlers()
    }

    /// Ctrl-Z: leaves curses, stops the process, and takes the screen back when the
    /// shell continues it.
    func suspend() {
        endwin()
        ccurses_suspend_self()
        ccurses_arm_emergency_restore()
        clearok(ccurses_curscr(), true)
        refresh()
    }

    deinit { close() }
}

extension TerminalApp {
    /// The signal that ended the last `run` (the command exits with 128 + its number),
    /// or nil when the mixer ended otherwise.
    public static var stopSignal: Int32? {
        let number = ccurses_termination_signal()
        return number == 0 ? nil : number
    }
}
