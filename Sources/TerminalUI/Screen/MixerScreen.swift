import Foundation

/// Draws a whole frame: the mixer, or the "too small" message, plus any overlay.
struct MixerScreen {
    var snapshot: PlayerSnapshot
    var view: ViewState
    var glyphs: GlyphSet
    var buffer: ScreenBuffer

    /// The frame for `snapshot` on a `size` terminal.
    static func render(_ snapshot: PlayerSnapshot, size: ScreenSize, view: ViewState, glyphs: GlyphSet) -> ScreenBuffer {
        var screen = MixerScreen(snapshot: snapshot, view: view, glyphs: glyphs, buffer: ScreenBuffer(size: size))
        guard let layout = MixerLayout(size: size, snapshot: snapshot) else {
            screen.drawTooSmall()
            return screen.buffer
        }
        screen.drawHeader()
        screen.drawTimeline(layout)
        screen.drawStatus()
        for strip in layout.strips {
            screen.drawStrip(strip)
        }
        screen.drawFooter(row: layout.footerRow)
        switch view.overlay {
        case .none: break
        case .help(let scroll): screen.drawHelp(scroll: scroll)
        case .exportDialog(let dialog): screen.drawExportDialog(dialog)
        case .quitConfirmation: screen.drawQuitConfirmation()
        }
        return screen.buffer
    }

    private var width: Int { buffer.size.width }

    private mutating func drawTooSmall() {
        let needed = ScreenSize(width: MixerLayout.minimumWidth(stripCount: snapshot.mix.strips.count + 1),
                                height: MixerLayout.minimumHeight)
        let lines = [
            "Terminal too small",
            "\(buffer.size.width)\(glyphs.times)\(buffer.size.height), need \(needed.width)\(glyphs.times)\(needed.height)",
            "q quits",
        ]
        let top = max(0, (buffer.size.height - lines.count) / 2)
        for (offset, line) in lines.enumerated() {
            let text = truncated(line, toWidth: width, ellipsis: glyphs.ellipsis)
            buffer.put(text, x: max(0, (width - displayWidth(text)) / 2), y: top + offset,
                       role: offset == 0 ? .warning : .normal)
        }
    }

    private mutating func drawHeader() {
        buffer.fill(Rect(x: 0, y: 0, width: width, height: 1), role: .header)
        let dot = " \(glyphs.separator) "
        var right = glyphs.sanitized(snapshot.deviceName)
        if snapshot.underruns > 0 {
            right += (right.isEmpty ? "" : dot) + "\(snapshot.underruns) underrun\(snapshot.underruns == 1 ? "" : "s")"
        }
        let details = [formatTime(snapshot.durationSeconds), glyphs.sanitized(snapshot.modelName),
                       formatSampleRate(snapshot.sampleRate), formatStretch(snapshot.stretch)].filter { !$0.isEmpty }.joined(separator: dot)
        let room = width - 2 - displayWidth(details) - displayWidth(dot) - (right.isEmpty ? 0 : displayWidth(right) + 2)
        let name = truncated(glyphs.sanitized(snapshot.fileName), toWidth: max(8, room), ellipsis: glyphs.ellipsis)
        buffer.put(name + dot + details, x: 1, y: 0, role: .header)
        if !right.isEmpty {
            buffer.put(right, x: width - 1 - displayWidth(right), y: 0, role: .header)
        }

        let label = snapshot.isSeparationDone ? "Separated " : "Separating"
        var x = buffer.put(label + " ", x: 1, y: 1, role: .normal)
        let barWidth = min(30, max(10, width / 4))
        let fraction = snapshot.isSeparationDone ? 1 : min(1, max(0, snapshot.separationFraction))
        let filled = Int((fraction * Double(barWidth)).rounded(.down))
        x = buffer.put(String(repeating: glyphs.barFull, count: filled), x: x, y: 1, role: .timelineSeparated)
        x = buffer.put(String(repeating: glyphs.barEmpty, count: barWidth - filled), x: x, y: 1, role: .timelinePending)
        var facts = [String(format: "%3d%%", Int((fraction * 100).rounded(.down)))]
        if snapshot.separationSpeed > 0 {
            facts.append(String(format: "%.1f", snapshot.separationSpeed) + "\(glyphs.times) real time")
        }
        if !snapshot.isSeparationDone {
            facts.append(String(format: "%.1f s ahead", snapshot.separatedAheadSeconds))
        }
        buffer.put(" " + facts.joined(separator: "  "), x: x, y: 1, role: .normal)
    }

    private mutating func drawTimeline(_ layout: MixerLayout) {
        let state = snapshot.isBuffering ? glyphs.waiting : snapshot.isPlaying ? glyphs.playing : glyphs.paused
        let duration = formatTime(snapshot.durationSeconds)
        let position = formatTime(snapshot.positionSeconds)
        let padded = String(repeating: " ", count: max(0, duration.count - position.count)) + position
        buffer.put(state, x: 1, y: 2, role: .playhead)
        buffer.put(padded, x: 3, y: 2, role: .normal)
        buffer.put(duration, x: layout.timelineBar.maxX + 1, y: 2, role: .normal)

        let bar = layout.timelineBar
        // A cell covers half a cell's time either side of its own and shows separated
        // when any of that is.
        let halfCell = snapshot.durationSeconds / Double(max(1, bar.width - 1)) / 2
        for x in bar.x..<bar.maxX {
            let seconds = layout.timelineSeconds(column: x)
            let isSeparated = snapshot.isSeparationDone
                || snapshot.separatedRanges.contains { $0.overlaps(seconds - halfCell..<seconds + halfCell) }
            buffer.put(isSeparated ? glyphs.timelineDone : glyphs.timelinePending, x: x, y: 2,
                       role: isSeparated ? .timelineSeparated : .timelinePending)
        }
        if let start = snapshot.loopStart {
            buffer.put(glyphs.loopStart, x: layout.timelineColumn(seconds: start), y: 2, role: .loop)
        }
        if let end = snapshot.loopEnd {
            buffer.put(glyphs.loopEnd, x: layout.timelineColumn(seconds: end), y: 2, role: .loop)
        }
        buffer.put(glyphs.playhead, x: layout.timelineColumn(seconds: snapshot.positionSeconds), y: 2, role: .playhead)
    }

    private mutating func drawStatus() {
        var parts: [(String, StyleRole)] = []
        if snapshot.isBuffering { parts.append(("Waiting for separation to catch up", .warning)) }
        if let message = view.notice ?? snapshot.statusMessage { parts.append((glyphs.sanitized(message), .warning)) }
        if let export = snapshot.export {
            let percent = Int((min(1, max(0, export.progress)) * 100).rounded(.down))
            parts.append(("Exporting \(glyphs.sanitized(export.description)) \(percent)% (x cancels)", .normal))
        }
        var x = 1
        for (text, role) in parts where x < width - 1 {
            x = buffer.put(truncated(text, toWidth: width - 1 - x, ellipsis: glyphs.ellipsis), x: x, y: 3, role: role) + 2
        }
    }

    /// The footer line: each footer word with its keys, as many as fit; the entries
    /// shown only with room (tempo, key) go first when not all fit.
    private mutating func drawFooter(row: Int) {
        buffer.fill(Rect(x: 0, y: row, width: width, height: 1), role: .footer)
        var entries = footerEntries(for: .mixer, glyphs: glyphs)
        if entries.reduce(1, { $0 + displayWidth($1.keys) + displayWidth($1.word) + 3 }) > width {
            entries.removeAll(where: \.ifRoom)
        }
        var x = 1
        for (keys, word, _) in entries {
            let entryWidth = displayWidth(keys) + 1 + displayWidth(word)
            if x + entryWidth >= width { break }
            x = buffer.put(keys, x: x, y: row, role: .footerKey)
            x = buffer.put(" " + word, x: x, y: row, role: .footer) + 2
        }
    }
}

/// The footer words of `context` in table order, each with the first key of every
/// binding that shares it (every key for an entry shown only with room) and whether
/// it is shown only with room: `("←→", "Seek", false)`, `("[]", "Tempo", true)`.
func footerEntries(for context: KeyContext, glyphs: GlyphSet) -> [(keys: String, word: String, ifRoom: Bool)] {
    var entries: [(keys: [String], word: String, ifRoom: Bool)] = []
    for binding in keyBindings where binding.context == context {
        guard let word = binding.footer, let key = binding.keys.first?.displayName(glyphs: glyphs) else { continue }
        if let index = entries.firstIndex(where: { $0.word == word }) {
            entries[index].keys.append(key)
        } else if binding.footerIfRoom {
            entries.append((binding.keys.map { $0.displayName(glyphs: glyphs) }, word, true))
        } else {
            entries.append(([key], word, false))
        }
    }
    return entries.map { entry in
        let compact = entry.keys.allSatisfy { $0.count == 1 }
        return (entry.keys.joined(separator: compact ? "" : "/"), entry.word, entry.ifRoom)
    }
}
