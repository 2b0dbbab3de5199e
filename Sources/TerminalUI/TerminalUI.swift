// TerminalUI: placeholder until the module lands.
enum _TerminalUIPlaceholder {}
