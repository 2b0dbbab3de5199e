import Foundation
import Testing
@testable import TerminalUI

@Suite struct TerminalAppTests {
    private func app(_ controller: FakeController) -> TerminalApp {
        TerminalApp(controller: controller, themes: ThemeLibrary(searchDirectories: [repositoryThemes]).selection(startingWith: nil),
                    exportDirectory: "/music")
    }

    @Test func loopDrawsHandlesEventsAndStopsWhenTheControllerQuits() {
        let controller = FakeController()
        let terminal = FakeTerminal(events: [.key(.character(" ")), .key(.up), .resize, .key(.character("q"))])
        app(controller).run(on: terminal)
        #expect(controller.received == [.togglePlay, .adjustGain(strip: 1, dB: 1), .quit])
        #expect(terminal.frames.count >= 1)
        #expect(terminal.frames[0].line(0).contains("Song Title.flac"))
    }

    @Test func terminationSignalQuitsWithoutAsking() {
        var snapshot = PlayerSnapshot.sample
        snapshot.export = ExportStatus(progress: 0.1, description: "stems")
        let controller = FakeController(snapshot)
        app(controller).run(on: FakeTerminal(events: [.terminate]))
        #expect(controller.received == [.quit])
    }

    @Test func quitAsksForConfirmationWhileExporting() {
        var snapshot = PlayerSnapshot.sample
        snapshot.export = ExportStatus(progress: 0.1, description: "stems")
        let controller = FakeController(snapshot)
        let app = app(controller)
        app.handle(.key(.character("q")))
        #expect(controller.received.isEmpty)
        #expect(app.render(size: .typical).lines().joined().contains("An export is running"))
        app.handle(.key(.character("n")))
        #expect(!app.hasFinished)
        app.handle(.key(.character("q")))
        app.handle(.key(.character("y")))
        #expect(controller.received == [.cancelExport, .quit])
        #expect(app.hasFinished)
    }

    @Test func exportDialogBuildsTheRequest() {
        let controller = FakeController()
        let app = app(controller)
        app.handle(.key(.character("e")))
        #expect(app.render(size: .typical).lines().joined().contains("Remix as heard"))
        app.handle(.key(.right))                      // every stem
        app.handle(.key(.tab))
        app.handle(.key(.left))                       // WAV float, the one before FLAC 24
        app.handle(.key(.tab))
        for key in [Key.backspace, .character("i"), .character("c")] { app.handle(.key(key)) }
        app.handle(.key(.enter))
        #expect(controller.received == [.export(ExportRequest(kind: .stems, format: .flac16,
                                                              destination: URL(fileURLWithPath: "/musiic")))])
        #expect(!app.render(size: .typical).lines().joined().contains("Every stem"))
    }

    @Test func escapeCancelsTheExportDialog() {
        let controller = FakeController()
        let app = app(controller)
        app.handle(.key(.character("e")))
        app.handle(.key(.escape))
        app.handle(.key(.character("m")))
        #expect(controller.received == [.toggleMute(1)])
    }

    @Test func tCyclesThroughTheThemes() {
        let controller = FakeController()
        let terminal = FakeTerminal(events: [.key(.character("t")), nil, .key(.character("t")), nil, .key(.character("q"))])
        app(controller).run(on: terminal)
        #expect(Array(terminal.themes.prefix(3)) == ["default", "amber", "mono"])
    }

    @Test func asciiTerminalGetsAsciiGlyphs() {
        let terminal = FakeTerminal(unicode: false, events: [.key(.character("q"))])
        app(FakeController()).run(on: terminal)
        #expect(terminal.frames[0].lines().allSatisfy { $0.allSatisfy { $0.isASCII } })
    }
}
