/// A numeric setting's accepted values, checked where the setting is read (options at
/// parse time, the config file as it loads), so that an absurd value is refused with
/// the range before any work instead of trapping or running for hours.
struct SettingRange {
    let bounds: ClosedRange<Double>
    let unit: String

    /// demucs's own choices sit well inside: 0.25 by default; above 0.9 most of each pass is repeated.
    static let overlap = SettingRange(bounds: 0...0.9, unit: "")
    /// Each shift is one more pass over the track and ~7 MB per shift; demucs suggests a handful.
    static let shifts = SettingRange(bounds: 0...20, unit: "")
    /// Below 1 s the overlap-add has too few frames to work with; the model's own segment
    /// (7.8 s for htdemucs) caps it further once the model is loaded.
    static let segment = SettingRange(bounds: 1...600, unit: " s")
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
