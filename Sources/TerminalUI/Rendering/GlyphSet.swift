/// The characters the screen draws with: box drawing and blocks where the locale is
/// UTF-8, plain ASCII otherwise (a Linux console in the C locale shows the rest as junk).
public struct GlyphSet: Sendable, Equatable {
    public var isUnicode: Bool
    var topLeft, topRight, bottomLeft, bottomRight, horizontal, vertical: String
    var timelineDone, timelinePending, playhead, loopStart, loopEnd: String
    var barFull, barEmpty: String
    var faderTrack, faderFilled, faderKnob: String
    var meterRMS, meterPeak, meterHold: String
    var playing, paused, waiting: String
    var ellipsis, minusInfinity, times, separator: String
    var left, right, up, down: String

    /// Box drawing, block elements and arrows.
    public static let unicode = GlyphSet(
        isUnicode: true,
        topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘", horizontal: "─", vertical: "│",
        timelineDone: "━", timelinePending: "─", playhead: "●", loopStart: "[", loopEnd: "]",
        barFull: "█", barEmpty: "░",
        faderTrack: "│", faderFilled: "┃", faderKnob: "▐█▌",
        meterRMS: "█", meterPeak: "▒", meterHold: "▬",
        playing: "▶", paused: "‖", waiting: "…",
        ellipsis: "…", minusInfinity: "-∞", times: "×", separator: "·",
        left: "←", right: "→", up: "↑", down: "↓")

    /// Seven-bit ASCII only.
    public static let ascii = GlyphSet(
        isUnicode: false,
        topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+", horizontal: "-", vertical: "|",
        timelineDone: "=", timelinePending: "-", playhead: "O", loopStart: "[", loopEnd: "]",
        barFull: "#", barEmpty: ".",
        faderTrack: "|", faderFilled: "#", faderKnob: "[=]",
        meterRMS: "#", meterPeak: ":", meterHold: "-",
        playing: ">", paused: "=", waiting: ".",
        ellipsis: "~", minusInfinity: "-inf", times: "x", separator: "|",
        left: "<-", right: "->", up: "Up", down: "Down")

    /// `text` made safe to draw: control characters become `?`, and so does anything
    /// outside ASCII when the glyphs are ASCII.
    func sanitized(_ text: String) -> String {
        String(text.map { character -> Character in
            let isControl = character.unicodeScalars.contains { $0.properties.generalCategory == .control }
            if isControl || (!isUnicode && !character.isASCII) { return "?" }
            return character
        })
    }
}
