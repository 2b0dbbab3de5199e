import Foundation
import Mixing

/// What the screen asks the player to do. The screen never changes state itself: the
/// controller applies commands, and the next snapshot shows the result.
public enum PlayerCommand: Sendable, Equatable {
    case togglePlay
    /// Moves the playhead by this many seconds (negative is back).
    case seek(seconds: Double)
    case seekTo(seconds: Double)
    case seekToStart
    case seekToEnd
    /// Selects a strip; `mix.strips.count` is the master.
    case selectStrip(Int)
    case selectNext
    case selectPrevious
    /// Moves a fader by `dB` (the master is `mix.strips.count`).
    case adjustGain(strip: Int, dB: Double)
    case setGain(strip: Int, dB: Double)
    /// Puts one fader back to 0 dB.
    case resetStrip(Int)
    /// Flat mix: every fader at 0 dB, nothing muted or soloed.
    case resetMix
    case toggleMute(Int)
    /// Toggles solo; exclusive solo clears the others first.
    case solo(Int, exclusive: Bool)
    case preset(Preset)
    /// Sets loop start, then loop end, then clears the loop.
    case loopMark
    /// Changes the tempo by this many percent of the original (kept within 50–200 %).
    case adjustTempo(percent: Double)
    /// Transposes by this many semitones more (kept within ±12; fractions are cents).
    case transpose(semitones: Double)
    /// Back to the original tempo and key.
    case resetStretch
    case export(ExportRequest)
    case cancelExport
    case quit
}

/// An export the person asked for in the export dialog.
public struct ExportRequest: Sendable, Equatable {
    public var kind: ExportKind
    public var format: ExportFormat
    /// The directory the files are written to.
    public var destination: URL

    public init(kind: ExportKind, format: ExportFormat, destination: URL) {
        self.kind = kind
        self.format = format
        self.destination = destination
    }
}

/// What an export writes.
public enum ExportKind: String, Sendable, CaseIterable {
    /// One file: the mix as it is heard (faders, mute and solo applied).
    case remix
    /// One file per stem, faders not applied.
    case stems

    var label: String {
        switch self {
        case .remix: "Remix as heard"
        case .stems: "Every stem"
        }
    }
}

/// The file format of an export; the raw value is the command-line spelling.
public enum ExportFormat: String, Sendable, CaseIterable {
    case wav16, wav24, wavFloat, flac16, flac24, mp3
    /// One NI Stems file: the master (the song, or the remix as heard) and four stems.
    case stemMP4

    var label: String {
        switch self {
        case .wav16: "WAV 16-bit"
        case .wav24: "WAV 24-bit"
        case .wavFloat: "WAV float"
        case .flac16: "FLAC 16-bit"
        case .flac24: "FLAC 24-bit"
        case .mp3: "MP3"
        case .stemMP4: "NI Stems (.stem.mp4)"
        }
    }
}

/// The player as the screen sees it.
///
/// Called only from the thread running `TerminalApp.run`, once per frame and once per
/// input event; implementations hand work to their own threads and must return quickly.
public protocol PlayerController: AnyObject {
    /// The state to draw now.
    func snapshot() -> PlayerSnapshot
    /// Applies a command; its effect shows in a later snapshot.
    func handle(_ command: PlayerCommand)
}
