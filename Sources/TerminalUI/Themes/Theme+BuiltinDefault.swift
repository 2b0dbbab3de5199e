extension Theme {
    /// The text of `Themes/default.toml`, compiled in so that a usable theme always
    /// exists (a test keeps the two identical).
    static let builtinDefaultTOML = #"""
# Demixer's default theme: ANSI colours, readable on dark and light terminals.
# Every role must be listed. Colours: default, black, red, green, yellow, blue,
# magenta, cyan, white, bright-<name>, or a palette index 0-255.
# Attributes: bold, dim, reverse, underline.
[roles]
normal = { fg = "default", bg = "default" }
header = { fg = "white", bg = "blue", attributes = ["bold"] }
timeline-separated = { fg = "green" }
timeline-pending = { fg = "bright-black" }
playhead = { fg = "bright-white", attributes = ["bold"] }
loop = { fg = "yellow", attributes = ["bold"] }
strip = { fg = "default" }
strip-selected = { fg = "black", bg = "cyan", attributes = ["bold"] }
fader = { fg = "cyan", attributes = ["bold"] }
meter-low = { fg = "green" }
meter-mid = { fg = "yellow" }
meter-high = { fg = "red" }
meter-peak = { fg = "bright-white", attributes = ["bold"] }
clip = { fg = "white", bg = "red", attributes = ["bold"] }
muted = { fg = "black", bg = "red", attributes = ["bold"] }
soloed = { fg = "black", bg = "yellow", attributes = ["bold"] }
inaudible = { fg = "bright-black" }
footer = { fg = "black", bg = "white" }
footer-key = { fg = "blue", bg = "white", attributes = ["bold"] }
help = { fg = "white", bg = "blue" }
help-key = { fg = "yellow", bg = "blue", attributes = ["bold"] }
dialog = { fg = "black", bg = "white" }
dialog-focus = { fg = "white", bg = "blue", attributes = ["bold"] }
warning = { fg = "yellow", attributes = ["bold"] }
"""#

    /// The default theme, parsed from the compiled-in copy.
    public static let builtinDefault: Theme = {
        do {
            return try parse(toml: builtinDefaultTOML, name: "default", file: "<built-in default theme>")
        } catch {
            preconditionFailure("the built-in theme does not parse: \(error)")
        }
    }()
}
