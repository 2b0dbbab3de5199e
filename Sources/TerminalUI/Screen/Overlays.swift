/// A line of the help overlay.
struct HelpLine: Sendable, Equatable {
    var keys: String
    var text: String
    var isHeading: Bool
}

/// Every help line: a heading per key context, each binding, then the mouse.
func helpLines(glyphs: GlyphSet) -> [HelpLine] {
    var lines: [HelpLine] = []
    for context in KeyContext.allCases {
        lines.append(HelpLine(keys: "", text: context.rawValue, isHeading: true))
        for binding in keyBindings where binding.context == context {
            let keys = binding.keys.map { $0.displayName(glyphs: glyphs) }.joined(separator: " ")
            lines.append(HelpLine(keys: keys, text: binding.help, isHeading: false))
        }
    }
    lines.append(HelpLine(keys: "", text: "Mouse", isHeading: true))
    lines += mouseHelp.map { HelpLine(keys: $0.0, text: $0.1, isHeading: false) }
    return lines
}

extension MixerScreen {
    /// The help overlay: the key table in as many columns as fit, scrolled by `scroll`
    /// rows when even that is too tall.
    mutating func drawHelp(scroll: Int) {
        let lines = helpLines(glyphs: glyphs)
        let keyWidth = lines.map { displayWidth($0.keys) }.max() ?? 0
        let textWidth = lines.map { displayWidth($0.text) }.max() ?? 0
        let available = Rect(x: 0, y: 0, width: buffer.size.width, height: buffer.size.height).inset(by: 1)
        let rowsAvailable = max(1, available.height - 2)
        let columnWidth = min(keyWidth + 2 + textWidth, available.width - 4)
        let columnsThatFit = max(1, (available.width - 2) / (columnWidth + 2))
        let columns = min(columnsThatFit, (lines.count + rowsAvailable - 1) / rowsAvailable)
        let perColumn = (lines.count + columns - 1) / columns
        let rowsShown = min(perColumn, rowsAvailable)
        let firstRow = min(max(0, scroll), perColumn - rowsShown)
        let box = available.centered(width: columns * (columnWidth + 2) + 2, height: rowsShown + 2)
        drawModal(box, title: "Help \(glyphs.separator) theme \(view.themeName)", role: .help, context: .help)
        for column in 0..<columns {
            for row in 0..<rowsShown {
                let index = column * perColumn + firstRow + row
                guard index < lines.count else { break }
                let line = lines[index]
                let x = box.x + 2 + column * (columnWidth + 2)
                let y = box.y + 1 + row
                let clip = Rect(x: x, y: y, width: columnWidth, height: 1)
                if line.isHeading {
                    buffer.put(line.text, x: x, y: y, role: .helpKey, clip: clip)
                } else {
                    buffer.put(line.keys, x: x, y: y, role: .helpKey, clip: clip)
                    buffer.put(line.text, x: x + keyWidth + 2, y: y, role: .help, clip: clip)
                }
            }
        }
    }

    mutating func drawExportDialog(_ dialog: ExportDialogState) {
        let available = Rect(x: 0, y: 0, width: buffer.size.width, height: buffer.size.height)
        let box = available.centered(width: min(64, buffer.size.width - 4), height: 8)
        drawModal(box, title: "Export", role: .dialog, context: .exportDialog)
        let fields: [(ExportDialogState.Field, String, String)] = [
            (.kind, "What", "< \(dialog.kind.label) >"),
            (.format, "Format", "< \(dialog.format.label) >"),
            (.destination, "Folder", glyphs.sanitized(dialog.destination) + (dialog.field == .destination ? "_" : "")),
        ]
        for (offset, (field, label, value)) in fields.enumerated() {
            let y = box.y + 2 + offset
            buffer.put(label, x: box.x + 2, y: y, role: .dialog)
            let room = box.width - 14
            buffer.put(truncated(value, toWidth: room, ellipsis: glyphs.ellipsis), x: box.x + 11, y: y,
                       role: dialog.field == field ? .dialogFocus : .dialog)
        }
    }

    mutating func drawQuitConfirmation() {
        let available = Rect(x: 0, y: 0, width: buffer.size.width, height: buffer.size.height)
        let box = available.centered(width: min(48, buffer.size.width - 4), height: 5)
        drawModal(box, title: "Quit", role: .dialog, context: .quitConfirmation)
        buffer.put("An export is running. Quit and cancel it?", x: box.x + 2, y: box.y + 2, role: .dialog,
                   clip: box.inset(by: 1))
    }

    /// A filled box with a title in the top border and the context's keys in the bottom one.
    private mutating func drawModal(_ box: Rect, title: String, role: StyleRole, context: KeyContext) {
        buffer.fill(box, role: role)
        buffer.box(box, glyphs: glyphs, role: role)
        buffer.put(" \(title) ", x: box.x + 2, y: box.y, role: role, clip: Rect(x: box.x + 1, y: box.y, width: box.width - 2, height: 1))
        var x = box.x + 2
        let clip = Rect(x: box.x + 1, y: box.maxY - 1, width: box.width - 2, height: 1)
        for (keys, word, _) in footerEntries(for: context, glyphs: glyphs) {
            x = buffer.put(" \(keys)", x: x, y: box.maxY - 1, role: role == .help ? .helpKey : .dialogFocus, clip: clip)
            x = buffer.put(" \(word) ", x: x, y: box.maxY - 1, role: role, clip: clip)
        }
    }
}
