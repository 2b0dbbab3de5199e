import Mixing

extension MixerScreen {
    /// One strip: box, name, level readout, fader, meter, gain, M and S buttons.
    mutating func drawStrip(_ layout: StripLayout) {
        let index = layout.index
        let isMaster = index == snapshot.masterStrip
        let isSelected = index == snapshot.selectedStrip
        let isAudible = isMaster || snapshot.mix.isAudible(index)
        let frameRole: StyleRole = isSelected ? .stripSelected : .strip
        let inner = layout.frame.inset(by: 1)
        buffer.box(layout.frame, glyphs: glyphs, role: frameRole)

        let name = isMaster ? "master" : glyphs.sanitized(snapshot.mix.strips[index].name)
        let nameRole: StyleRole = isSelected ? .stripSelected : isAudible ? .strip : .inaudible
        buffer.fill(Rect(x: inner.x, y: layout.nameRow, width: inner.width, height: 1), role: nameRole)
        centered(truncated(name, toWidth: inner.width, ellipsis: glyphs.ellipsis), in: inner, row: layout.nameRow, role: nameRole)

        let meter = snapshot.meter(index)
        if meter.isClipped {
            centered("CLIP", in: inner, row: layout.levelRow, role: .clip)
        } else {
            centered(formatGain(Double(meter.heldPeakDB), glyphs: glyphs, unit: false), in: inner, row: layout.levelRow, role: .strip)
        }

        let gain = isMaster ? snapshot.mix.masterGainDB : snapshot.mix.strips[index].gainDB
        drawFader(layout, gain: gain)
        drawMeter(layout, meter)

        let compact = inner.width < 9
        centered(formatGain(gain, glyphs: glyphs, unit: !compact), in: inner, row: layout.valueRow, role: .fader)
        if let mute = layout.muteButton, let solo = layout.soloButton {
            let strip = snapshot.mix.strips[index]
            buffer.put("[M]", x: mute.x, y: mute.y, role: strip.isMuted ? .muted : .strip)
            buffer.put("[S]", x: solo.x, y: solo.y, role: strip.isSoloed ? .soloed : .strip)
        }
    }

    private mutating func drawFader(_ layout: StripLayout, gain: Double) {
        let knob = layout.knobRow(dB: gain)
        for y in layout.travel.y..<layout.travel.maxY {
            if y == knob {
                buffer.put(glyphs.faderKnob, x: layout.faderX, y: y, role: .fader)
            } else if y > knob {
                buffer.put(glyphs.faderFilled, x: layout.faderX + 1, y: y, role: .fader)
            } else {
                buffer.put(glyphs.faderTrack, x: layout.faderX + 1, y: y, role: .strip)
            }
        }
    }

    /// Two columns, filled from the bottom: solid to the RMS level, shaded to the
    /// peak, a mark at the held peak; coloured by the level each row stands for.
    private mutating func drawMeter(_ layout: StripLayout, _ meter: MeterReading) {
        let rows = layout.travel.height
        func cells(_ dB: Float) -> Int { Int((meterPosition(dB: Double(dB)) * Double(rows)).rounded()) }
        let rms = cells(meter.rmsDB)
        let peak = max(rms, cells(meter.peakDB))
        let hold = cells(meter.heldPeakDB)
        for level in 0..<rows {
            let y = layout.travel.maxY - 1 - level
            let rowDB = -60 + 60 * Double(level + 1) / Double(rows)
            let zone: StyleRole = rowDB > -6 ? .meterHigh : rowDB > -18 ? .meterMid : .meterLow
            if level < rms {
                buffer.put(glyphs.meterRMS + glyphs.meterRMS, x: layout.meterX, y: y, role: zone)
            } else if level < peak {
                buffer.put(glyphs.meterPeak + glyphs.meterPeak, x: layout.meterX, y: y, role: zone)
            } else if level == hold - 1 {
                buffer.put(glyphs.meterHold + glyphs.meterHold, x: layout.meterX, y: y, role: .meterPeak)
            }
        }
    }

    private mutating func centered(_ text: String, in rect: Rect, row: Int, role: StyleRole) {
        buffer.put(text, x: rect.x + max(0, (rect.width - displayWidth(text)) / 2), y: row, role: role,
                   clip: Rect(x: rect.x, y: row, width: rect.width, height: 1))
    }
}
