import Mixing

/// Where a key is pressed: each overlay has its own keys.
enum KeyContext: String, Sendable, CaseIterable {
    case mixer = "Mixer"
    case help = "Help"
    case exportDialog = "Export dialog"
    case quitConfirmation = "Quit while exporting"
}

/// What a key does. Most keys send a player command; some act on the selected strip
/// (resolved against the snapshot) or only on the screen.
enum KeyAction: Sendable, Equatable {
    case command(PlayerCommand)
    case adjustSelectedGain(Double)
    case resetSelected
    case toggleMuteSelected
    case soloSelected(exclusive: Bool)
    /// The digit pressed picks the strip: 1 is the first.
    case selectStripByNumber
    /// Two opposite commands on one help line: the binding's first key sends the
    /// first, its second key the second.
    case pair(PlayerCommand, PlayerCommand)
    /// The key pressed picks the tempo step (`tempoSteps`).
    case stepTempo
    /// The key pressed picks the transposition step (`keySteps`).
    case stepKey
    case toggleHelp
    case openExportDialog
    case cycleTheme
    case requestQuit
    case closeOverlay
    case scrollUp
    case scrollDown
    case nextField
    case previousField
    case previousChoice
    case nextChoice
    case deleteCharacter
    case startExport
    case confirmQuit
}

/// One row of the key table.
struct KeyBinding: Sendable {
    var context: KeyContext
    var keys: [Key]
    var action: KeyAction
    /// The line in the help overlay.
    var help: String
    /// The word in the footer; bindings sharing a word share a footer entry.
    var footer: String?
    /// Whether the footer shows the entry only when every entry fits; such an entry
    /// lists every key of its binding.
    var footerIfRoom = false
}

/// The tempo step, in percent of the original, of each tempo key (mpv's speed keys).
let tempoSteps: [Character: Double] = ["[": -1, "]": 1, "{": -5, "}": 5]
/// The transposition step, in semitones, of each key-change key.
let keySteps: [Character: Double] = ["-": -1, "=": 1, "_": -0.1, "+": 0.1]

/// The key table: every key the program understands, in the order help lists them.
/// Help, the footer and key handling all read this one table.
let keyBindings: [KeyBinding] = {
    func bind(_ context: KeyContext, _ keys: [Key], _ action: KeyAction, _ help: String,
              footer: String? = nil, footerIfRoom: Bool = false) -> KeyBinding {
        KeyBinding(context: context, keys: keys, action: action, help: help, footer: footer, footerIfRoom: footerIfRoom)
    }
    let presets: [(Character, Preset, String)] = [
        ("k", .karaoke, "Karaoke"), ("a", .acapella, "A cappella"),
        ("d", .drumless, "Drumless"), ("b", .bassless, "Bassless"),
    ]
    return [
        bind(.mixer, [.character(" ")], .command(.togglePlay), "Play / pause", footer: "Play"),
        bind(.mixer, [.left], .command(.seek(seconds: -5)), "Back 5 s", footer: "Seek"),
        bind(.mixer, [.right], .command(.seek(seconds: 5)), "Forward 5 s", footer: "Seek"),
        bind(.mixer, [.shiftLeft, .shiftRight], .pair(.seek(seconds: -30), .seek(seconds: 30)), "Back / forward 30 s"),
        bind(.mixer, [.home, .end], .pair(.seekToStart, .seekToEnd), "Go to the start / end"),
        bind(.mixer, [.character("l")], .command(.loopMark), "Loop: set A, B, then clear"),
        // Speed keys as in mpv; Backspace resets, as mpv's resets speed.
        bind(.mixer, "[]{}".map { .character($0) }, .stepTempo, "Tempo -/+ 1 %, 5 %", footer: "Tempo", footerIfRoom: true),
        bind(.mixer, "-=_+".map { .character($0) }, .stepKey, "Key -/+ 1 semitone, 10 cents", footer: "Key", footerIfRoom: true),
        bind(.mixer, [.backspace], .command(.resetStretch), "Original tempo and key"),
        bind(.mixer, (1...6).map { .character(Character(String($0))) }, .selectStripByNumber,
             "Select strip by number"),
        bind(.mixer, [.tab], .command(.selectNext), "Select the next strip", footer: "Strip"),
        bind(.mixer, [.backTab], .command(.selectPrevious), "Select the previous strip"),
        bind(.mixer, [.up], .adjustSelectedGain(1), "Fader up 1 dB", footer: "Gain"),
        bind(.mixer, [.down], .adjustSelectedGain(-1), "Fader down 1 dB", footer: "Gain"),
        bind(.mixer, [.pageUp], .adjustSelectedGain(6), "Fader up 6 dB"),
        bind(.mixer, [.pageDown], .adjustSelectedGain(-6), "Fader down 6 dB"),
        bind(.mixer, [.character("0")], .resetSelected, "Fader to 0 dB"),
        bind(.mixer, [.character("m")], .toggleMuteSelected, "Mute / unmute", footer: "Mute"),
        bind(.mixer, [.character("s")], .soloSelected(exclusive: true), "Solo (only this strip)", footer: "Solo"),
        bind(.mixer, [.character("S")], .soloSelected(exclusive: false), "Add to / remove from solo"),
        bind(.mixer, [.character("r")], .command(.resetMix), "Reset the whole mix"),
    ] + presets.map { key, preset, name in
        bind(.mixer, [.character(key)], .command(.preset(preset)), "\(name): \(preset.summary)",
             footer: preset == .karaoke ? "Karaoke" : nil)
    } + [
        bind(.mixer, [.character("e")], .openExportDialog, "Export dialog", footer: "Export"),
        bind(.mixer, [.character("x")], .command(.cancelExport), "Cancel the running export"),
        bind(.mixer, [.character("t")], .cycleTheme, "Next colour theme"),
        bind(.mixer, [.character("?")], .toggleHelp, "This help", footer: "Help"),
        bind(.mixer, [.character("q")], .requestQuit, "Quit (asks while exporting)", footer: "Quit"),

        bind(.help, [.character("?"), .escape, .character("q")], .closeOverlay, "Close help", footer: "Close"),
        bind(.help, [.up], .scrollUp, "Scroll up", footer: "Scroll"),
        bind(.help, [.down], .scrollDown, "Scroll down", footer: "Scroll"),

        bind(.exportDialog, [.tab, .down], .nextField, "Next field", footer: "Next"),
        bind(.exportDialog, [.backTab, .up], .previousField, "Previous field"),
        bind(.exportDialog, [.left], .previousChoice, "Previous choice", footer: "Change"),
        bind(.exportDialog, [.right, .character(" ")], .nextChoice, "Next choice", footer: "Change"),
        bind(.exportDialog, [.backspace], .deleteCharacter, "Delete (destination)"),
        bind(.exportDialog, [.enter], .startExport, "Start the export", footer: "Export"),
        bind(.exportDialog, [.escape], .closeOverlay, "Cancel", footer: "Cancel"),

        bind(.quitConfirmation, [.character("y"), .enter], .confirmQuit, "Quit and cancel the export", footer: "Quit"),
        bind(.quitConfirmation, [.character("n"), .escape], .closeOverlay, "Keep going", footer: "Keep going"),
    ]
}()

/// What the mouse does, for the help overlay (handled by `MixerLayout.hitTest`).
let mouseHelp: [(String, String)] = [
    ("Click strip", "Select it"),
    ("Click M / S", "Mute / solo"),
    ("Drag fader", "Set the gain"),
    ("Wheel on strip", "Fader up/down 1 dB"),
    ("Click timeline", "Seek there"),
]

/// The action bound to `key` in `context`, if any.
func keyAction(for key: Key, in context: KeyContext) -> KeyAction? {
    keyBindings.first { $0.context == context && $0.keys.contains(key) }?.action
}
