/// Where one channel strip's parts are on screen.
struct StripLayout: Sendable, Equatable {
    var index: Int
    var frame: Rect
    var nameRow: Int
    var levelRow: Int
    /// Fader and meter rows; the whole width inside the frame takes fader clicks.
    var travel: Rect
    var faderX: Int
    var meterX: Int
    var valueRow: Int
    /// Nil on the master strip, which has no mute or solo.
    var muteButton: Rect?
    var soloButton: Rect?

    /// The row of the fader knob for `dB`.
    func knobRow(dB: Double) -> Int {
        travel.maxY - 1 - Int((FaderScale.position(dB: dB) * Double(travel.height - 1)).rounded())
    }

    /// The gain that a click on row `y` asks for (rows outside the travel clamp); the
    /// row the knob sits on at 0 dB gives exactly 0 dB.
    func gain(atRow y: Int) -> Double {
        let row = min(max(y, travel.y), travel.maxY - 1)
        if row == knobRow(dB: 0) { return 0 }
        return FaderScale.dB(position: Double(travel.maxY - 1 - row) / Double(travel.height - 1))
    }
}

/// What the mouse is over.
enum HitTarget: Sendable, Equatable {
    case strip(Int)
    case mute(Int)
    case solo(Int)
    case fader(Int, dB: Double)
    case timeline(seconds: Double)
}

/// The mixer screen's geometry for a terminal size: rows for header, timeline, status,
/// the strips and the footer. Pure, so rendering and mouse hit-testing agree.
struct MixerLayout: Sendable, Equatable {
    static let minimumHeight = 18
    static let minimumStripWidth = 10
    static let maximumStripWidth = 14

    var size: ScreenSize
    var timelineBar: Rect
    var strips: [StripLayout]
    var footerRow: Int
    var durationSeconds: Double

    /// The smallest width that fits `stripCount` strips (master included).
    static func minimumWidth(stripCount: Int) -> Int {
        max(50, stripCount * (minimumStripWidth + 1) + 3)
    }

    /// Nil when `size` is too small to draw the mixer.
    init?(size: ScreenSize, snapshot: PlayerSnapshot) {
        let count = snapshot.mix.strips.count + 1
        guard size.width >= Self.minimumWidth(stripCount: count), size.height >= Self.minimumHeight else {
            return nil
        }
        self.size = size
        durationSeconds = snapshot.durationSeconds
        let timeWidth = formatTime(snapshot.durationSeconds).count
        let barX = 1 + 2 + timeWidth + 1
        timelineBar = Rect(x: barX, y: 2, width: size.width - barX - 2 - timeWidth, height: 1)
        footerRow = size.height - 1

        let top = 5
        let height = footerRow - top
        let stripWidth = min(Self.maximumStripWidth, (size.width - 3 - count) / count)
        strips = (0..<count).map { index in
            let isMaster = index == count - 1
            let x = 1 + index * (stripWidth + 1) + (isMaster ? 1 : 0)
            let frame = Rect(x: x, y: top, width: stripWidth, height: height)
            let inner = frame.inset(by: 1)
            let faderX = inner.x + (inner.width - 6) / 2
            let buttonsX = inner.x + (inner.width - 7) / 2
            let buttonRow = inner.maxY - 1
            return StripLayout(
                index: index, frame: frame, nameRow: inner.y, levelRow: inner.y + 1,
                travel: Rect(x: inner.x, y: inner.y + 2, width: inner.width, height: inner.height - 5),
                faderX: faderX, meterX: faderX + 4, valueRow: buttonRow - 1,
                muteButton: isMaster ? nil : Rect(x: buttonsX, y: buttonRow, width: 3, height: 1),
                soloButton: isMaster ? nil : Rect(x: buttonsX + 4, y: buttonRow, width: 3, height: 1))
        }
    }

    /// The timeline cell of `seconds`.
    func timelineColumn(seconds: Double) -> Int {
        guard durationSeconds > 0 else { return timelineBar.x }
        let fraction = min(1, max(0, seconds / durationSeconds))
        return timelineBar.x + Int((fraction * Double(timelineBar.width - 1)).rounded())
    }

    /// The time at timeline cell `x` (cells outside the bar clamp).
    func timelineSeconds(column x: Int) -> Double {
        let cell = min(max(x, timelineBar.x), timelineBar.maxX - 1)
        return Double(cell - timelineBar.x) / Double(timelineBar.width - 1) * durationSeconds
    }

    /// What is under cell (`x`, `y`).
    func hitTest(x: Int, y: Int) -> HitTarget? {
        if timelineBar.contains(x: x, y: y) {
            return .timeline(seconds: timelineSeconds(column: x))
        }
        guard let strip = strips.first(where: { $0.frame.contains(x: x, y: y) }) else { return nil }
        if strip.muteButton?.contains(x: x, y: y) == true { return .mute(strip.index) }
        if strip.soloButton?.contains(x: x, y: y) == true { return .solo(strip.index) }
        if strip.travel.contains(x: x, y: y) { return .fader(strip.index, dB: strip.gain(atRow: y)) }
        return .strip(strip.index)
    }
}
