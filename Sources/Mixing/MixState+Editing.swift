/// The edits a person makes on the mixer, shared by the player's keys and `demixer mix`,
/// so that both follow the same clamping and solo rules.
extension MixState {
    /// `dB` clamped to the fader range: at or below the silence floor it becomes −∞,
    /// above +12 dB it becomes +12 dB.
    public static func clampedGain(dB: Double) -> Double {
        dB <= silenceFloorDB ? -.infinity : min(dB, gainRange.upperBound)
    }

    /// `dB` moved by `delta`, where −∞ counts as the silence floor so that raising a
    /// silent fader brings it back in from −60 dB.
    static func gain(_ dB: Double, movedBy delta: Double) -> Double {
        clampedGain(dB: (dB.isFinite ? dB : silenceFloorDB) + delta)
    }

    /// Moves strip `index`'s fader by `delta` dB, clamped to the fader range.
    public mutating func adjustGain(of index: Int, byDB delta: Double) {
        strips[index].gainDB = Self.gain(strips[index].gainDB, movedBy: delta)
    }

    /// Moves the master fader by `delta` dB, clamped to the fader range.
    public mutating func adjustMasterGain(byDB delta: Double) {
        masterGainDB = Self.gain(masterGainDB, movedBy: delta)
    }

    /// Sets strip `index`'s fader to `dB`, clamped to the fader range.
    public mutating func setGain(of index: Int, dB: Double) {
        strips[index].gainDB = Self.clampedGain(dB: dB)
    }

    /// Mutes or unmutes strip `index`.
    public mutating func toggleMute(_ index: Int) {
        strips[index].isMuted.toggle()
    }

    /// Exclusive solo (`s`): solos strip `index` alone, or clears every solo when it
    /// already is the only soloed strip.
    public mutating func toggleExclusiveSolo(_ index: Int) {
        let soloAlone = strips.indices.allSatisfy { strips[$0].isSoloed == ($0 == index) }
        for i in strips.indices {
            strips[i].isSoloed = !soloAlone && i == index
        }
    }

    /// Additive solo (`S`): adds strip `index` to the soloed strips or takes it out.
    public mutating func toggleSolo(_ index: Int) {
        strips[index].isSoloed.toggle()
    }

    /// Puts strip `index` back to 0 dB, unmuted and unsoloed.
    public mutating func resetStrip(_ index: Int) {
        strips[index] = ChannelStrip(name: strips[index].name)
    }

    /// Puts every strip and the master fader back to a flat mix.
    public mutating func resetAll() {
        self = MixState(stems: strips.map(\.name))
    }

    /// Replaces the strips with `preset`'s; the master fader is kept, since a preset
    /// says which stems sound, not how loud the whole mix is.
    public mutating func apply(_ preset: Preset) {
        strips = preset.state(stems: strips.map(\.name)).strips
    }
}
