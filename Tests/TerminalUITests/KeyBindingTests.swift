import Mixing
import Testing
@testable import TerminalUI

@Suite struct KeyBindingTests {
    /// Presses `keys` on a fresh app and returns the commands the controller got.
    private func commands(_ keys: [Key], snapshot: PlayerSnapshot = .sample) -> [PlayerCommand] {
        let controller = FakeController(snapshot)
        let app = TerminalApp(controller: controller, themes: ThemeLibrary(searchDirectories: []).selection(startingWith: nil))
        _ = app.render(size: .typical)
        for key in keys { app.handle(.key(key)) }
        return controller.received
    }

    @Test(arguments: [
        (Key.character(" "), PlayerCommand.togglePlay),
        (.left, .seek(seconds: -5)), (.right, .seek(seconds: 5)),
        (.shiftLeft, .seek(seconds: -30)), (.shiftRight, .seek(seconds: 30)),
        (.character("["), .adjustTempo(percent: -1)), (.character("]"), .adjustTempo(percent: 1)),
        (.character("{"), .adjustTempo(percent: -5)), (.character("}"), .adjustTempo(percent: 5)),
        (.character("-"), .transpose(semitones: -1)), (.character("="), .transpose(semitones: 1)),
        (.character("_"), .transpose(semitones: -0.1)), (.character("+"), .transpose(semitones: 0.1)),
        (.backspace, .resetStretch),
        (.home, .seekToStart), (.end, .seekToEnd),
        (.character("1"), .selectStrip(0)), (.character("4"), .selectStrip(3)), (.character("5"), .selectStrip(4)),
        (.tab, .selectNext), (.backTab, .selectPrevious),
        (.up, .adjustGain(strip: 1, dB: 1)), (.down, .adjustGain(strip: 1, dB: -1)),
        (.pageUp, .adjustGain(strip: 1, dB: 6)), (.pageDown, .adjustGain(strip: 1, dB: -6)),
        (.character("m"), .toggleMute(1)),
        (.character("s"), .solo(1, exclusive: true)), (.character("S"), .solo(1, exclusive: false)),
        (.character("0"), .resetStrip(1)), (.character("r"), .resetMix),
        (.character("k"), .preset(.karaoke)), (.character("a"), .preset(.acapella)),
        (.character("d"), .preset(.drumless)), (.character("b"), .preset(.bassless)),
        (.character("l"), .loopMark), (.character("x"), .cancelExport), (.character("q"), .quit),
    ])
    func documentedKeySendsItsCommand(key: Key, command: PlayerCommand) {
        #expect(commands([key]) == [command])
    }

    @Test func digitsBeyondTheMasterAreIgnored() {
        #expect(commands([.character("6")]).isEmpty)
    }

    @Test func muteAndSoloDoNothingOnTheMaster() {
        var snapshot = PlayerSnapshot.sample
        snapshot.selectedStrip = snapshot.masterStrip
        #expect(commands([.character("m"), .character("s")], snapshot: snapshot).isEmpty)
        #expect(commands([.up], snapshot: snapshot) == [.adjustGain(strip: 4, dB: 1)])
    }

    @Test func noKeyIsBoundTwiceInOneContext() {
        for context in KeyContext.allCases {
            let keys = keyBindings.filter { $0.context == context }.flatMap(\.keys)
            #expect(Set(keys).count == keys.count, "duplicate key in \(context)")
        }
    }

    @Test func helpListsEveryBinding() {
        let lines = helpLines(glyphs: .unicode)
        for binding in keyBindings {
            let keys = binding.keys.map { $0.displayName(glyphs: .unicode) }.joined(separator: " ")
            #expect(lines.contains(HelpLine(keys: keys, text: binding.help, isHeading: false)), "help lacks \(binding.help)")
        }
    }

    @Test func helpOverlayShowsEveryLineAtTypicalSize() {
        let frame = render(view: ViewState(overlay: .help(scroll: 0))).lines().joined(separator: "\n")
        for line in helpLines(glyphs: .unicode) {
            #expect(frame.contains(line.text), "help overlay lacks \(line.text)")
        }
    }

    @Test func helpScrollsWhenTheTerminalIsShort() {
        let size = ScreenSize(width: 60, height: 20)
        let top = render(size: size, view: ViewState(overlay: .help(scroll: 0))).lines().joined()
        let scrolled = render(size: size, view: ViewState(overlay: .help(scroll: 100))).lines().joined()
        #expect(top.contains("Play / pause"))
        #expect(!scrolled.contains("Play / pause"))
        #expect(scrolled.contains("Seek there"))
    }

    @Test func questionMarkOpensHelpAndEscapeClosesIt() {
        let controller = FakeController()
        let app = TerminalApp(controller: controller, themes: ThemeLibrary(searchDirectories: []).selection(startingWith: nil))
        app.handle(.key(.character("?")))
        #expect(app.render(size: .typical).lines().joined().contains("Fader up 6 dB"))
        app.handle(.key(.character(" ")))
        app.handle(.key(.escape))
        #expect(!app.render(size: .typical).lines().joined().contains("Fader up 6 dB"))
        #expect(controller.received.isEmpty)
    }
}
