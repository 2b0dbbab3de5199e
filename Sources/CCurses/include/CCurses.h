// ncursesw for Swift, plus functions for what Swift cannot import (macros).
// Not API: used only by the TerminalUI target.
#ifndef CCURSES_H
#define CCURSES_H
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <ncursesw/curses.h>
#include <locale.h>

static inline int ccurses_color_pair(int n) { return COLOR_PAIR(n); }
static inline int ccurses_max_y(WINDOW *w) { int y, x; getmaxyx(w, y, x); (void)x; return y; }
static inline int ccurses_max_x(WINDOW *w) { int y, x; getmaxyx(w, y, x); (void)y; return x; }
static inline WINDOW *ccurses_stdscr(void) { return stdscr; }
static inline int ccurses_lines(void) { return LINES; }
static inline int ccurses_cols(void) { return COLS; }
#endif
