import Testing
@testable import TerminalUI

@Suite struct MouseTests {
    let layout = MixerLayout(size: .typical, snapshot: .sample)!

    private func clicks(_ events: [MouseEvent]) -> [PlayerCommand] {
        let controller = FakeController()
        let app = TerminalApp(controller: controller, themes: ThemeLibrary(searchDirectories: []).selection(startingWith: nil))
        _ = app.render(size: .typical)
        for event in events { app.handle(.mouse(event)) }
        return controller.received
    }

    @Test func clickOnMuteButtonTogglesMute() throws {
        let button = try #require(layout.strips[2].muteButton)
        #expect(layout.hitTest(x: button.x + 1, y: button.y) == .mute(2))
        #expect(clicks([MouseEvent(.press, x: button.x, y: button.y)]) == [.toggleMute(2)])
    }

    @Test func clickOnSoloButtonSolos() throws {
        let button = try #require(layout.strips[0].soloButton)
        #expect(clicks([MouseEvent(.press, x: button.maxX - 1, y: button.y)]) == [.solo(0, exclusive: true)])
    }

    @Test func clickOnStripNameSelectsIt() {
        let master = layout.strips[4]
        #expect(clicks([MouseEvent(.press, x: master.frame.x + 3, y: master.nameRow)]) == [.selectStrip(4)])
    }

    @Test func clickOnTimelineSeeksToThatTime() {
        let bar = layout.timelineBar
        #expect(clicks([MouseEvent(.press, x: bar.x, y: bar.y)]) == [.seekTo(seconds: 0)])
        #expect(clicks([MouseEvent(.press, x: bar.maxX - 1, y: bar.y)]) == [.seekTo(seconds: 200)])
        let middle = bar.x + (bar.width - 1) / 2
        let expected = Double(middle - bar.x) / Double(bar.width - 1) * 200
        #expect(clicks([MouseEvent(.press, x: middle, y: bar.y)]) == [.seekTo(seconds: expected)])
    }

    @Test func dragOnFaderSetsGainUntilRelease() {
        let bass = layout.strips[1]
        let x = bass.faderX + 1
        let commands = clicks([
            MouseEvent(.press, x: x, y: bass.travel.maxY - 1),
            MouseEvent(.drag, x: x, y: bass.travel.y),
            MouseEvent(.drag, x: x + 30, y: bass.knobRow(dB: 0)),
            MouseEvent(.release, x: x, y: bass.travel.y),
            MouseEvent(.drag, x: x, y: bass.travel.y),
        ])
        #expect(commands == [
            .selectStrip(1), .setGain(strip: 1, dB: -.infinity), .setGain(strip: 1, dB: 12), .setGain(strip: 1, dB: 0),
        ])
    }

    @Test func wheelOverStripNudgesItsFader() {
        let drums = layout.strips[0]
        #expect(clicks([MouseEvent(.scrollUp, x: drums.frame.x + 2, y: drums.nameRow),
                        MouseEvent(.scrollDown, x: drums.frame.x + 2, y: drums.nameRow)])
                == [.adjustGain(strip: 0, dB: 1), .adjustGain(strip: 0, dB: -1)])
    }

    @Test func faderScaleRoundTripsOnEveryRow() {
        let strip = layout.strips[0]
        for row in strip.travel.y..<strip.travel.maxY {
            #expect(strip.knobRow(dB: strip.gain(atRow: row)) == row)
        }
    }

    @Test func clicksOutsideAnythingDoNothing() {
        #expect(clicks([MouseEvent(.press, x: 99, y: 10), MouseEvent(.press, x: 0, y: 0)]).isEmpty)
    }
}
