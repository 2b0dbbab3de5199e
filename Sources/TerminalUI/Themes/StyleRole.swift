/// What a cell means, as opposed to how it looks: themes give each role its colours.
///
/// The one list of roles; the raw value is the key in theme files.
public enum StyleRole: String, Sendable, CaseIterable {
    case normal
    case header
    case timelineSeparated = "timeline-separated"
    case timelinePending = "timeline-pending"
    case playhead
    case loop
    case strip
    case stripSelected = "strip-selected"
    case fader
    case meterLow = "meter-low"
    case meterMid = "meter-mid"
    case meterHigh = "meter-high"
    case meterPeak = "meter-peak"
    case clip
    /// An active mute button.
    case muted
    /// An active solo button.
    case soloed
    /// A strip silenced by mute or by another strip's solo.
    case inaudible
    case footer
    case footerKey = "footer-key"
    case help
    case helpKey = "help-key"
    case dialog
    case dialogFocus = "dialog-focus"
    case warning

    /// Attributes used when the terminal has no colours, so that every role that must
    /// stand out still does.
    var monochromeAttributes: Set<TextAttribute> {
        switch self {
        case .normal, .strip, .timelinePending, .meterLow, .meterMid, .help, .dialog: []
        case .header, .footer, .muted, .soloed, .dialogFocus: [.reverse]
        case .stripSelected, .playhead, .clip, .footerKey: [.reverse, .bold]
        case .timelineSeparated, .loop, .fader, .meterHigh, .meterPeak, .helpKey, .warning: [.bold]
        case .inaudible: [.dim]
        }
    }
}

/// A text attribute a theme can ask for.
public enum TextAttribute: String, Sendable, CaseIterable {
    case bold, dim, reverse, underline
}
