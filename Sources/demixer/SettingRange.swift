import Demucs
import Mixing

/// A numeric setting's accepted values, checked where the setting is read (options at
/// parse time, the config file as it loads), so that an absurd value is refused with
/// the range before any work instead of trapping or running for hours.
struct SettingRange {
    let bounds: ClosedRange<Double>
    let unit: String

    /// The engine's own limits (`Separator.Limits`), checked here before any work.
    static let overlap = SettingRange(bounds: Separator.Limits.overlap, unit: "")
    static let shifts = SettingRange(
        bounds: Double(Separator.Limits.shifts.lowerBound)...Double(Separator.Limits.shifts.upperBound), unit: "")
    /// The model's own segment (7.8 s for htdemucs) caps it further once the model is loaded.
    static let segment = SettingRange(bounds: Separator.Limits.shortestSegmentSeconds...600, unit: " s")
    /// `--tempo` and `--pitch` (semitones) of `mix` and `separate`.
    static let tempo = SettingRange(bounds: StretchSettings.tempoRange, unit: "")
    static let pitch = SettingRange(bounds: StretchSettings.semitoneRange, unit: " semitones")
    /// The ←/→ step of the player.
    static let seekStep = SettingRange(bounds: 0.1...600, unit: " s")

    /// Why `value` of the setting `name` is refused, or nil when it is accepted; NaN
    /// and infinities are always refused.
    func problem(_ name: String, _ value: Double) -> String? {
        guard !bounds.contains(value) else { return nil }
        return "\(name) must be between \(Self.format(bounds.lowerBound)) and \(Self.format(bounds.upperBound))\(unit), "
            + "not \(Self.format(value))"
    }

    /// Whole numbers without a fraction, others as Swift prints them (`1e+300`, `nan`).
    private static func format(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int(value)) : "\(value)"
    }
}
