#include "CCurses.h"
#include <pthread.h>
#include <poll.h>
#include <langinfo.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <ncursesw/term.h>

// Drag reporting (xterm mode 1002): ncurses only asks for clicks.
static const char mouse_drag_on[] = "\033[?1002h";
static const char mouse_off[] = "\033[?1002l\033[?1000l\033[?1006l";

int ccurses_enable_mouse(void) {
    mmask_t wanted = BUTTON1_PRESSED | BUTTON1_RELEASED | BUTTON4_PRESSED | BUTTON5_PRESSED
        | REPORT_MOUSE_POSITION;
    if (mousemask(wanted, NULL) == 0) return 0;
    mouseinterval(0);
    (void)!write(STDOUT_FILENO, mouse_drag_on, sizeof mouse_drag_on - 1);
    return 1;
}

void ccurses_disable_mouse(void) {
    mousemask(0, NULL);
    (void)!write(STDOUT_FILENO, mouse_off, sizeof mouse_off - 1);
}

int ccurses_read_mouse(int *x, int *y) {
    MEVENT event;
    if (getmouse(&event) != OK) return CCURSES_MOUSE_OTHER;
    *x = event.x;
    *y = event.y;
    if (event.bstate & BUTTON4_PRESSED) return CCURSES_MOUSE_SCROLL_UP;
    if (event.bstate & BUTTON5_PRESSED) return CCURSES_MOUSE_SCROLL_DOWN;
    if (event.bstate & BUTTON1_PRESSED) return CCURSES_MOUSE_PRESS;
    if (event.bstate & BUTTON1_RELEASED) return CCURSES_MOUSE_RELEASE;
    if (event.bstate & REPORT_MOUSE_POSITION) return CCURSES_MOUSE_DRAG;
    return CCURSES_MOUSE_OTHER;
}

int ccurses_locale_is_utf8(void) {
    const char *codeset = nl_langinfo(CODESET);
    return codeset != NULL && (strcmp(codeset, "UTF-8") == 0 || strcmp(codeset, "utf8") == 0);
}

// Everything below is touched by signal handlers: only sig_atomic_t flags, write(2),
// tcsetattr(3), sigaction(2) and raise(3), all async-signal-safe.
static volatile sig_atomic_t termination_signal = 0;
static volatile sig_atomic_t suspend_requested = 0;
static volatile sig_atomic_t armed = 0;
static struct termios saved_modes;
static int have_saved_modes = 0;
static char reset_bytes[512];
static size_t reset_length = 0;

// Requests to stop from outside: the loop quits cleanly (jobs cancelled and waited
// for). SIGQUIT and SIGUSR1/2 would otherwise dump a backtrace over the mixer or kill
// it with the terminal left raw.
static const int termination_signals[] = {
    SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGXCPU,
#ifdef SIGPWR
    SIGPWR,
#endif
};
// Signals whose default action ends the process and that nothing here asks for:
// crashes, timers, I/O limits. The terminal is restored, then they act as before.
static const int crash_signals[] = {
    SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGALRM, SIGVTALRM, SIGPROF, SIGXFSZ, SIGPIPE, SIGIO,
#ifdef SIGSTKFLT
    SIGSTKFLT,
#endif
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
static struct sigaction previous[NSIG];
static struct sigaction previous_tstp;

static void emergency_restore(void) {
    if (!armed) return;
    armed = 0;
    (void)!write(STDOUT_FILENO, reset_bytes, reset_length);
    if (have_saved_modes) tcsetattr(STDIN_FILENO, TCSANOW, &saved_modes);
}

// Hands the signal to whoever had it before (the default action, or Swift's
// backtracer): it is blocked in here, so it is delivered as this handler returns.
static void reraise(int sig) {
    sigaction(sig, &previous[sig], NULL);
    raise(sig);
}

static void on_termination(int sig) {
    if (termination_signal != 0) {
        // The loop did not exit after the first one: stop waiting for it.
        emergency_restore();
        reraise(sig);
        return;
    }
    termination_signal = sig;
}

static void on_suspend(int sig) {
    (void)sig;
    suspend_requested = 1;
}

static void on_crash(int sig) {
    emergency_restore();
    reraise(sig);
}

static void on_exit_restore(void) { emergency_restore(); }

static void install(int sig, void (*handler)(int), struct sigaction *old) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    sigaction(sig, &action, old);
}

void ccurses_install_handlers(void) {
    static int registered_atexit = 0;
    // A parent may have left these blocked (the mask is inherited through exec): then
    // Ctrl-C, kill and hang-up would never reach the handlers below.
    sigset_t handled;
    sigemptyset(&handled);
    for (size_t i = 0; i < COUNT(termination_signals); i++) sigaddset(&handled, termination_signals[i]);
    sigaddset(&handled, SIGTSTP);
    sigaddset(&handled, SIGCONT);
    sigaddset(&handled, SIGWINCH);
    pthread_sigmask(SIG_UNBLOCK, &handled, NULL);
    have_saved_modes = tcgetattr(STDIN_FILENO, &saved_modes) == 0;
    termination_signal = 0;
    suspend_requested = 0;
    for (size_t i = 0; i < COUNT(termination_signals); i++)
        install(termination_signals[i], on_termination, &previous[termination_signals[i]]);
    for (size_t i = 0; i < COUNT(crash_signals); i++) {
        // One the parent ignores (SIGPIPE, often) stays ignored: it stops nothing.
        int sig = crash_signals[i];
        sigaction(sig, NULL, &previous[sig]);
        if (previous[sig].sa_handler != SIG_IGN) install(sig, on_crash, NULL);
    }
    install(SIGTSTP, on_suspend, &previous_tstp);
    if (!registered_atexit) {
        atexit(on_exit_restore);
        registered_atexit = 1;
    }
}

static void append_capability(const char *name) {
    const char *value = tigetstr(name);
    if (value == NULL || value == (char *)-1) return;
    size_t length = strlen(value);
    if (reset_length + length > sizeof reset_bytes) return;
    memcpy(reset_bytes + reset_length, value, length);
    reset_length += length;
}

void ccurses_arm_emergency_restore(void) {
    reset_length = 0;
    append_capability("sgr0");
    append_capability("cnorm");
    append_capability("rmkx");
    append_capability("rmcup");
    if (reset_length + sizeof mouse_off - 1 <= sizeof reset_bytes) {
        memcpy(reset_bytes + reset_length, mouse_off, sizeof mouse_off - 1);
        reset_length += sizeof mouse_off - 1;
    }
    armed = 1;
}

void ccurses_remove_handlers(void) {
    armed = 0;
    for (size_t i = 0; i < COUNT(termination_signals); i++)
        sigaction(termination_signals[i], &previous[termination_signals[i]], NULL);
    for (size_t i = 0; i < COUNT(crash_signals); i++)
        sigaction(crash_signals[i], &previous[crash_signals[i]], NULL);
    sigaction(SIGTSTP, &previous_tstp, NULL);
}

int ccurses_termination_signal(void) { return termination_signal; }

int ccurses_take_suspend_request(void) {
    int requested = suspend_requested;
    suspend_requested = 0;
    return requested;
}

// SIGSTOP rather than SIGTSTP: it cannot be blocked or caught, so it stops the process
// even from a thread that blocks SIGTSTP, and never comes back to our own handler.
// Sent to this thread, so the stop happens before raise returns.
void ccurses_suspend_self(void) { raise(SIGSTOP); }

int ccurses_terminal_gone(void) {
    struct pollfd input = {.fd = STDIN_FILENO, .events = POLLIN, .revents = 0};
    if (poll(&input, 1, 0) < 0) return 0;
    return (input.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0;
}
