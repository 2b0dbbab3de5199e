import Foundation

/// One stem's controls on the mixer: what a channel strip shows and a person changes.
public struct ChannelStrip: Sendable, Equatable {
    /// The stem's name (drums, bass, other, vocals, …).
    public var name: String
    /// Fader level in dB; `-infinity` is silence. Clamped to `MixState.gainRange`.
    public var gainDB: Double
    public var isMuted: Bool
    public var isSoloed: Bool

    public init(name: String, gainDB: Double = 0, isMuted: Bool = false, isSoloed: Bool = false) {
        self.name = name
        self.gainDB = gainDB
        self.isMuted = isMuted
        self.isSoloed = isSoloed
    }
}

/// The whole mixer: one strip per stem plus the master fader. A plain value, shared by
/// the player, `demixer mix` and presets, so that what is heard is what is rendered.
public struct MixState: Sendable, Equatable {
    /// Faders run from silence up to +12 dB.
    public static let gainRange: ClosedRange<Double> = -Double.infinity...12
    /// Below this a fader reads as −∞ (silence).
    public static let silenceFloorDB = -60.0

    public var strips: [ChannelStrip]
    public var masterGainDB: Double

    /// A flat mix of `stems`: every fader at 0 dB, nothing muted or soloed.
    public init(stems: [String]) {
        strips = stems.map { ChannelStrip(name: $0) }
        masterGainDB = 0
    }

    /// Whether any strip is soloed; then only soloed strips sound.
    public var hasSolo: Bool { strips.contains { $0.isSoloed } }

    /// Whether strip `index` is heard under the mute/solo rules (mute wins over solo).
    public func isAudible(_ index: Int) -> Bool {
        let strip = strips[index]
        if strip.isMuted { return false }
        return hasSolo ? strip.isSoloed : true
    }

    /// Linear gain per stem, master included, after the mute/solo rules.
    public func effectiveGains() -> [Float] {
        let master = linearGain(dB: masterGainDB)
        return strips.indices.map { isAudible($0) ? linearGain(dB: strips[$0].gainDB) * master : 0 }
    }

    /// The index of the strip named `name`, if any.
    public func index(of name: String) -> Int? { strips.firstIndex { $0.name == name } }
}

/// `10^(dB/20)`, with anything at or below the silence floor giving 0.
public func linearGain(dB: Double) -> Float {
    dB <= MixState.silenceFloorDB ? 0 : Float(pow(10, dB / 20))
}
