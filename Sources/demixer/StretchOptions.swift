import ArgumentParser
import Mixing

/// `--tempo` and `--pitch`: the tempo and key `mix` and `separate` write at, through
/// Rubber Band's offline mode (`mix` at its finest, `separate` so that the stems stay
/// aligned).
struct StretchOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Speed relative to the original, 0.5 to 2 (0.8 is 80 %; the key stays).", valueName: "factor"))
    var tempo: Double = 1

    // Unconditional, so that `--pitch -2` reads -2 as the value rather than an option.
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Transposition in semitones, -12 to +12 (fractions are cents; the tempo stays).", valueName: "semitones"))
    var pitch: Double = 0

    @Flag(help: "Keep the formants when transposing, so that voices keep their character.")
    var preserveFormants = false

    func validate() throws {
        for problem in [SettingRange.tempo.problem("--tempo", tempo), SettingRange.pitch.problem("--pitch", pitch)] {
            if let problem { throw ValidationError(problem) }
        }
    }

    var settings: StretchSettings {
        StretchSettings(tempo: tempo, semitones: pitch, preservesFormants: preserveFormants)
    }
}
