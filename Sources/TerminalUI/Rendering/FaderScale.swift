import Mixing

/// Where a gain sits on a fader's travel, 0 (bottom, −∞) to 1 (top, +12 dB).
///
/// Piecewise linear in dB, with most of the travel near 0 dB where mixing happens,
/// like a console fader. Rendering and mouse dragging use the same mapping.
enum FaderScale {
    /// (dB, position) anchors, bottom to top; below the first is silence.
    private static let anchors: [(dB: Double, position: Double)] = [
        (MixState.silenceFloorDB, 0.05), (-30, 0.3), (-12, 0.55), (0, 0.8), (MixState.gainRange.upperBound, 1),
    ]

    /// The position of `dB` on the travel.
    static func position(dB: Double) -> Double {
        guard dB > anchors[0].dB else { return 0 }
        for (low, high) in zip(anchors, anchors.dropFirst()) where dB <= high.dB {
            return low.position + (dB - low.dB) / (high.dB - low.dB) * (high.position - low.position)
        }
        return 1
    }

    /// The gain at `position`, rounded to half a dB; the bottom is −∞.
    static func dB(position: Double) -> Double {
        guard position >= anchors[0].position else { return -.infinity }
        for (low, high) in zip(anchors, anchors.dropFirst()) where position <= high.position {
            let dB = low.dB + (position - low.position) / (high.position - low.position) * (high.dB - low.dB)
            return (dB * 2).rounded() / 2
        }
        return MixState.gainRange.upperBound
    }
}

/// Where a meter level sits, 0 (−60 dBFS or less) to 1 (0 dBFS or more).
func meterPosition(dB: Double) -> Double {
    guard dB.isFinite else { return dB > 0 ? 1 : 0 }
    return min(1, max(0, (dB - MixState.silenceFloorDB) / -MixState.silenceFloorDB))
}
