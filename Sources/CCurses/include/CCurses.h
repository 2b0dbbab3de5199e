// ncursesw for Swift, plus functions for what Swift cannot import (macros) and the
// async-signal-safe terminal restore. Not API: used only by the TerminalUI target.
#ifndef CCURSES_H
#define CCURSES_H
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <ncursesw/curses.h>
#include <locale.h>
#include <stdio.h>
#include <wchar.h>

static inline int ccurses_color_pair(int n) { return COLOR_PAIR(n); }
static inline int ccurses_max_y(WINDOW *w) { int y, x; getmaxyx(w, y, x); (void)x; return y; }
static inline int ccurses_max_x(WINDOW *w) { int y, x; getmaxyx(w, y, x); (void)y; return x; }
static inline WINDOW *ccurses_stdscr(void) { return stdscr; }
static inline WINDOW *ccurses_curscr(void) { return curscr; }
/// newterm on the process's standard output and input (Swift cannot touch stdio globals).
static inline SCREEN *ccurses_newterm(void) { return newterm(NULL, stdout, stdin); }
static inline int ccurses_lines(void) { return LINES; }
static inline int ccurses_cols(void) { return COLS; }
static inline int ccurses_colors(void) { return COLORS; }

static inline attr_t ccurses_a_normal(void) { return A_NORMAL; }
static inline attr_t ccurses_a_bold(void) { return A_BOLD; }
static inline attr_t ccurses_a_dim(void) { return A_DIM; }
static inline attr_t ccurses_a_reverse(void) { return A_REVERSE; }
static inline attr_t ccurses_a_underline(void) { return A_UNDERLINE; }

/// Kinds of mouse event reported by `ccurses_read_mouse`.
enum {
    CCURSES_MOUSE_OTHER = 0,
    CCURSES_MOUSE_PRESS = 1,
    CCURSES_MOUSE_RELEASE = 2,
    CCURSES_MOUSE_DRAG = 3,
    CCURSES_MOUSE_SCROLL_UP = 4,
    CCURSES_MOUSE_SCROLL_DOWN = 5,
};

/// Reports button-1 presses, releases and drags, and the wheel; returns whether the
/// terminal supports a mouse.
int ccurses_enable_mouse(void);
/// Stops mouse reporting (drag reporting included).
void ccurses_disable_mouse(void);
/// Reads the pending KEY_MOUSE event: stores its cell and returns a CCURSES_MOUSE_ kind.
int ccurses_read_mouse(int *x, int *y);

/// Whether the current locale's character set (after setlocale) is UTF-8.
int ccurses_locale_is_utf8(void);

/// Saves the terminal modes and installs the signal handlers; call before newterm.
/// SIGINT, SIGTERM and SIGHUP set a flag (a second one restores and re-raises);
/// SIGTSTP sets a flag; crash signals restore the terminal and re-raise.
void ccurses_install_handlers(void);
/// Captures the bytes that leave curses mode; call after newterm.
void ccurses_arm_emergency_restore(void);
/// Puts back the previous signal handlers and disarms the emergency restore.
void ccurses_remove_handlers(void);
/// The pending termination signal (SIGINT, SIGTERM, SIGHUP) or 0.
/// Whether the terminal went away (hang-up, closed pty): then input never comes again.
int ccurses_terminal_gone(void);

int ccurses_termination_signal(void);
/// Whether Ctrl-Z was pressed since the last call (clears the flag).
int ccurses_take_suspend_request(void);
/// Stops the process (as Ctrl-Z would); returns after SIGCONT.
void ccurses_suspend_self(void);
#endif
