/// Named mixer states for the common jobs: a preset is just a `MixState`, applied the
/// same way by the player's keys and by `demixer mix --preset`.
public enum Preset: String, Sendable, CaseIterable {
    /// Everything but the vocals.
    case karaoke
    /// The vocals alone.
    case acapella
    /// Everything but the drums.
    case drumless
    /// Everything but the bass.
    case bassless

    /// A one-line description for help screens.
    public var summary: String {
        switch self {
        case .karaoke: "vocals muted"
        case .acapella: "vocals solo"
        case .drumless: "drums muted"
        case .bassless: "bass muted"
        }
    }

    /// The stem this preset acts on.
    var stem: String {
        switch self {
        case .karaoke, .acapella: "vocals"
        case .drumless: "drums"
        case .bassless: "bass"
        }
    }

    /// A flat mix of `stems` with this preset applied; faders are reset.
    public func state(stems: [String]) -> MixState {
        var state = MixState(stems: stems)
        guard let index = state.index(of: stem) else { return state }
        switch self {
        case .acapella: state.strips[index].isSoloed = true
        case .karaoke, .drumless, .bassless: state.strips[index].isMuted = true
        }
        return state
    }
}
