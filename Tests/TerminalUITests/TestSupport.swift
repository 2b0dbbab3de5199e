import Foundation
import Mixing
@testable import TerminalUI

/// A player that records commands and serves a fixed snapshot.
final class FakeController: PlayerController {
    var current: PlayerSnapshot
    var received: [PlayerCommand] = []

    init(_ snapshot: PlayerSnapshot = .sample) {
        current = snapshot
    }

    func snapshot() -> PlayerSnapshot { current }

    func handle(_ command: PlayerCommand) {
        received.append(command)
        if command == .quit { current.shouldQuit = true }
    }
}

/// A terminal that plays back scripted events (nil: a poll that times out) and keeps
/// every frame.
final class FakeTerminal: TerminalDevice {
    let size: ScreenSize
    let supportsUnicode: Bool
    var events: [InputEvent?]
    var frames: [ScreenBuffer] = []
    var themes: [String] = []

    init(size: ScreenSize = .typical, unicode: Bool = true, events: [InputEvent?]) {
        self.size = size
        supportsUnicode = unicode
        self.events = events
    }

    func present(_ buffer: ScreenBuffer, theme: Theme) {
        frames.append(buffer)
        themes.append(theme.name)
    }

    func nextEvent(timeoutMilliseconds: Int) -> InputEvent? {
        // Out of script: behave like Ctrl-C so a broken test cannot hang.
        events.isEmpty ? (frames.count > 100 ? .terminate : nil) : events.removeFirst()
    }
}

extension ScreenSize {
    static let typical = ScreenSize(width: 100, height: 30)
}

extension PlayerSnapshot {
    /// Four stems, vocals muted, bass soloed off, other at −6 dB, the bass selected.
    static var sample: PlayerSnapshot {
        var mix = MixState(stems: ["drums", "bass", "other", "vocals"])
        mix.strips[0].gainDB = 3
        mix.strips[2].gainDB = -6
        mix.strips[3].isMuted = true
        mix.masterGainDB = -1.5
        return PlayerSnapshot(
            fileName: "Song Title.flac", durationSeconds: 200, modelName: "htdemucs", sampleRate: 44_100,
            positionSeconds: 50, separatedRanges: [0..<100], separationFraction: 0.5, separationSpeed: 2.3,
            isPlaying: true, mix: mix,
            meters: [
                MeterReading(peakDB: -3, rmsDB: -12, heldPeakDB: -2),
                MeterReading(peakDB: -20, rmsDB: -30, heldPeakDB: -18),
                MeterReading(peakDB: 0, rmsDB: -4, heldPeakDB: 0, isClipped: true),
                .silent,
                MeterReading(peakDB: -1, rmsDB: -9, heldPeakDB: -1),
            ],
            selectedStrip: 1, deviceName: "hw:0")
    }
}

/// The repository's `Themes` folder.
let repositoryThemes = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appending(path: "Themes")

func render(_ snapshot: PlayerSnapshot = .sample, size: ScreenSize = .typical, glyphs: GlyphSet = .unicode,
            view: ViewState = ViewState()) -> ScreenBuffer {
    MixerScreen.render(snapshot, size: size, view: view, glyphs: glyphs)
}
