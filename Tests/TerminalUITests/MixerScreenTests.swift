import Foundation
import Mixing
import Testing
@testable import TerminalUI

@Suite struct MixerScreenTests {
    let frame = render()

    @Test func headerShowsFileDurationModelRateAndDevice() {
        #expect(frame.line(0).hasPrefix(" Song Title.flac · 3:20.0 · htdemucs · 44.1 kHz"))
        #expect(frame.line(0).hasSuffix("hw:0 "))
        #expect(frame[0, 0].role == .header)
    }

    @Test func headerShowsTempoAndKeyOnlyWhenChanged() {
        #expect(!frame.line(0).contains("tempo"))
        var snapshot = PlayerSnapshot.sample
        snapshot.stretch = StretchSettings(tempo: 0.8, semitones: -2)
        #expect(render(snapshot).line(0).contains("44.1 kHz · tempo 80% key -2"))
        snapshot.stretch = StretchSettings(semitones: 1.5)
        #expect(render(snapshot).line(0).contains("44.1 kHz · key +1.5"))
        // Positions stay in song time: the duration is the song's own.
        #expect(render(snapshot).line(0).contains("3:20.0"))
    }

    @Test func footerShowsTempoAndKeyWhenEveryEntryFits() {
        let wide = render(size: ScreenSize(width: 140, height: 30)).line(29)
        #expect(wide.contains("[]{} Tempo"))
        #expect(wide.contains("-=_+ Key"))
        #expect(!frame.line(29).contains("Tempo"))
    }

    @Test func separationLineShowsPercentSpeedAndLead() {
        let line = frame.line(1)
        #expect(line.contains(" 50%"))
        #expect(line.contains("2.3× real time"))
        #expect(line.contains("50.0 s ahead"))
    }

    @Test func timelineMarksThePlayheadAndTheSeparatedPart() throws {
        let layout = try #require(MixerLayout(size: .typical, snapshot: .sample))
        let row = layout.timelineBar.y
        #expect(frame.line(row).hasPrefix(" ▶ 0:50.0 ━"))
        #expect(frame.line(row).hasSuffix("─ 3:20.0 "))
        let playhead = layout.timelineColumn(seconds: 50)
        #expect(frame[playhead, row].character == "●")
        #expect(frame[playhead, row].role == .playhead)
        #expect(frame[layout.timelineColumn(seconds: 90), row].role == .timelineSeparated)
        #expect(frame[layout.timelineColumn(seconds: 150), row].role == .timelinePending)
    }

    @Test func timelineDrawsEverySeparatedRangeWithThePartsBetweenPending() throws {
        var snapshot = PlayerSnapshot.sample
        snapshot.separatedRanges = [0..<40, 120..<160]
        snapshot.positionSeconds = 130
        let layout = try #require(MixerLayout(size: .typical, snapshot: snapshot))
        let frame = render(snapshot)
        let row = layout.timelineBar.y
        for seconds in [10.0, 30, 125, 155] {
            #expect(frame[layout.timelineColumn(seconds: seconds), row].role == .timelineSeparated)
        }
        for seconds in [50.0, 80, 110, 170, 199] {
            #expect(frame[layout.timelineColumn(seconds: seconds), row].role == .timelinePending)
        }
        // The lead is what is separated from the playhead to the end of its range.
        #expect(frame.line(1).contains("30.0 s ahead"))
    }

    @Test func loopMarkersAreDrawnOnTheTimeline() throws {
        var snapshot = PlayerSnapshot.sample
        snapshot.loopStart = 20
        snapshot.loopEnd = 120
        let layout = try #require(MixerLayout(size: .typical, snapshot: snapshot))
        let frame = render(snapshot)
        #expect(frame[layout.timelineColumn(seconds: 20), 2] == Cell(character: "[", role: .loop))
        #expect(frame[layout.timelineColumn(seconds: 120), 2] == Cell(character: "]", role: .loop))
    }

    @Test func everyStripShowsItsNameGainAndButtons() throws {
        let layout = try #require(MixerLayout(size: .typical, snapshot: .sample))
        let names = layout.strips.map { strip in text(in: frame, row: strip.nameRow, strip.frame.inset(by: 1)) }
        #expect(names == ["drums", "bass", "other", "vocals", "master"])
        let gains = layout.strips.map { strip in text(in: frame, row: strip.valueRow, strip.frame.inset(by: 1)) }
        #expect(gains == ["+3.0 dB", "0.0 dB", "-6.0 dB", "0.0 dB", "-1.5 dB"])
        for strip in layout.strips.dropLast() {
            #expect(text(in: frame, row: try #require(strip.muteButton).y, strip.frame.inset(by: 1)) == "[M] [S]")
        }
        #expect(layout.strips.last?.muteButton == nil)
    }

    @Test func muteSoloAndClipUseTheirRoles() throws {
        var snapshot = PlayerSnapshot.sample
        snapshot.mix.strips[0].isSoloed = true
        let layout = try #require(MixerLayout(size: .typical, snapshot: snapshot))
        let frame = render(snapshot)
        let vocals = layout.strips[3]
        let drums = layout.strips[0]
        #expect(frame[try #require(vocals.muteButton).x, vocals.muteButton!.y].role == .muted)
        #expect(frame[try #require(drums.soloButton).x, drums.soloButton!.y].role == .soloed)
        #expect(frame[try #require(drums.muteButton).x, drums.muteButton!.y].role == .strip)
        let other = layout.strips[2]
        #expect(text(in: frame, row: other.levelRow, other.frame.inset(by: 1)) == "CLIP")
        // Bass is silenced by the drums' solo: its name is drawn as inaudible.
        #expect(frame[layout.strips[2].frame.x + 4, layout.strips[2].nameRow].role == .inaudible)
    }

    @Test func selectedStripIsHighlighted() throws {
        let layout = try #require(MixerLayout(size: .typical, snapshot: .sample))
        let bass = layout.strips[1]
        #expect(frame[bass.frame.x, bass.frame.y].role == .stripSelected)
        #expect(frame[bass.frame.x + 1, bass.nameRow].role == .stripSelected)
        let drums = layout.strips[0]
        #expect(frame[drums.frame.x, drums.frame.y].role == .strip)
    }

    @Test func faderKnobSitsAtTheGain() throws {
        let layout = try #require(MixerLayout(size: .typical, snapshot: .sample))
        let drums = layout.strips[0]
        let knob = drums.knobRow(dB: 3)
        #expect(text(in: frame, row: knob, Rect(x: drums.faderX, y: knob, width: 3, height: 1)) == "▐█▌")
        #expect(drums.knobRow(dB: 12) == drums.travel.y)
        #expect(drums.knobRow(dB: -.infinity) == drums.travel.maxY - 1)
    }

    @Test func statusLineShowsMessagesExportAndWaiting() {
        var snapshot = PlayerSnapshot.sample
        snapshot.statusMessage = "No sound card: playing silently"
        snapshot.export = ExportStatus(progress: 0.42, description: "remix.flac")
        snapshot.isBuffering = true
        let line = render(snapshot).line(3)
        #expect(line.contains("Waiting for separation"))
        #expect(line.contains("No sound card: playing silently"))
        #expect(line.contains("Exporting remix.flac 42%"))
    }

    @Test func footerListsTheMainKeys() {
        let footer = frame.line(29)
        for entry in ["Space Play", "←→ Seek", "↑↓ Gain", "m Mute", "s Solo", "e Export", "? Help", "q Quit"] {
            #expect(footer.contains(entry), "footer lacks \(entry)")
        }
    }

    @Test func tinyTerminalShowsAMessageInsteadOfTheMixer() {
        let small = render(size: ScreenSize(width: 30, height: 10))
        let lines = small.lines().map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.contains("Terminal too small"))
        #expect(lines.contains("30×10, need 58×18"))
        // Even a 1×1 terminal renders without trapping.
        _ = render(size: ScreenSize(width: 1, height: 1))
        _ = render(size: ScreenSize(width: 0, height: 0))
    }

    @Test func asciiFallbackDrawsOnlySevenBitCharacters() {
        var snapshot = PlayerSnapshot.sample
        snapshot.fileName = "Café – 東京.flac"
        for overlay in [Overlay.none, .help(scroll: 0), .exportDialog(ExportDialogState(destination: "/tmp")), .quitConfirmation] {
            let frame = render(snapshot, glyphs: .ascii, view: ViewState(overlay: overlay))
            for line in frame.lines() {
                #expect(line.allSatisfy { $0.isASCII }, "not ASCII: \(line)")
            }
        }
        let frame = render(snapshot, glyphs: .ascii)
        #expect(frame.line(0).hasPrefix(" Caf? ? ??.flac | 3:20.0 | htdemucs"))
        #expect(frame.line(2).hasPrefix(" > 0:50.0 ="))
        #expect(frame.line(5).hasPrefix(" +------------+"))
    }

    @Test func wideCharactersTakeTwoColumns() {
        var snapshot = PlayerSnapshot.sample
        snapshot.fileName = "東京.flac"
        let frame = render(snapshot)
        #expect(frame.line(0).hasPrefix(" 東京.flac · 3:20.0"))
        #expect(frame[2, 0].isContinuation)
        #expect(frame.line(0).hasSuffix("hw:0 "))
    }

    @Test func controlCharactersInNamesAreNeutralised() {
        var snapshot = PlayerSnapshot.sample
        snapshot.fileName = "evil\u{1B}[2J.wav"
        #expect(render(snapshot).line(0).hasPrefix(" evil?[2J.wav"))
    }

    @Test func sixStemsFitAtTypicalSize() throws {
        var snapshot = PlayerSnapshot.sample
        snapshot.mix = MixState(stems: ["drums", "bass", "other", "vocals", "guitar", "piano"])
        let layout = try #require(MixerLayout(size: .typical, snapshot: snapshot))
        #expect(layout.strips.count == 7)
        #expect(layout.strips.last!.frame.maxX <= 100)
        let frame = render(snapshot)
        #expect(frame.lines().joined().contains("piano"))
    }

    private func text(in frame: ScreenBuffer, row: Int, _ rect: Rect) -> String {
        let line = Array(frame.line(row))
        return String(line[rect.x..<rect.maxX]).trimmingCharacters(in: .whitespaces)
    }
}
