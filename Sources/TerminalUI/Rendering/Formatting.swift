import Foundation
import Mixing

/// `m:ss.s` below an hour, `h:mm:ss` from there on.
func formatTime(_ seconds: Double) -> String {
    let value = seconds.isFinite ? max(0, seconds) : 0
    let tenths = Int((value * 10).rounded(.down))
    let totalSeconds = tenths / 10
    if totalSeconds >= 3600 {
        return String(format: "%d:%02d:%02d", totalSeconds / 3600, totalSeconds / 60 % 60, totalSeconds % 60)
    }
    return String(format: "%d:%02d.%d", totalSeconds / 60, totalSeconds % 60, tenths % 10)
}

/// A fader value: `+1.5 dB`, `0.0 dB`, `-∞ dB`; without the unit when `unit` is false.
func formatGain(_ dB: Double, glyphs: GlyphSet, unit: Bool = true) -> String {
    let number: String
    if dB <= MixState.silenceFloorDB {
        number = glyphs.minusInfinity
    } else if abs(dB) < 0.05 {
        number = "0.0"
    } else {
        number = String(format: "%+.1f", dB)
    }
    return unit ? number + " dB" : number
}

/// Tempo and transposition for the header, `tempo 80% key -2` (each only when changed),
/// or an empty string for the original.
func formatStretch(_ settings: StretchSettings) -> String {
    var parts: [String] = []
    if settings.tempo != 1 { parts.append("tempo \(Int((settings.tempo * 100).rounded()))%") }
    if settings.semitones != 0 {
        let cents = Int((settings.semitones * 100).rounded())
        parts.append("key " + (cents % 100 == 0 ? String(format: "%+d", cents / 100) : String(format: "%+.1f", settings.semitones)))
    }
    return parts.joined(separator: " ")
}

/// A sample rate in kHz: `44.1 kHz`, `48 kHz`.
func formatSampleRate(_ rate: Int) -> String {
    rate % 1000 == 0 ? "\(rate / 1000) kHz" : String(format: "%.1f kHz", Double(rate) / 1000)
}
