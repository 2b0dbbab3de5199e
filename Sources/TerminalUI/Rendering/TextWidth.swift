/// Terminal columns taken by `character`: 2 for East Asian wide and emoji, 0 for a
/// lone combining mark, else 1. Independent of the locale so that layout is
/// deterministic (`wcwidth` answers -1 for everything outside ASCII in the C locale).
func displayWidth(_ character: Character) -> Int {
    guard let scalar = character.unicodeScalars.first else { return 0 }
    let value = scalar.value
    if scalar.properties.generalCategory == .nonspacingMark { return 0 }
    let wideRanges: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
        0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
        0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD,
    ]
    return wideRanges.contains { $0.contains(value) } ? 2 : 1
}

/// Terminal columns taken by `text`.
func displayWidth(_ text: String) -> Int {
    text.reduce(0) { $0 + displayWidth($1) }
}

/// `text` cut to at most `width` columns, ending in `ellipsis` when it was cut.
func truncated(_ text: String, toWidth width: Int, ellipsis: String) -> String {
    guard displayWidth(text) > width else { return text }
    let room = width - displayWidth(ellipsis)
    guard room > 0 else { return String(repeating: ".", count: max(0, width)) }
    var result = ""
    var used = 0
    for character in text {
        let w = displayWidth(character)
        if used + w > room { break }
        result.append(character)
        used += w
    }
    return result + ellipsis
}
