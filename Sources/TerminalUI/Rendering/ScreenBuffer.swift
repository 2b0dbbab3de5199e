/// One terminal cell: a character and the semantic role that decides its colours.
public struct Cell: Sendable, Equatable {
    public var character: Character
    public var role: StyleRole
    /// The right half of a wide character drawn in the cell to its left.
    public var isContinuation: Bool

    public init(character: Character = " ", role: StyleRole = .normal, isContinuation: Bool = false) {
        self.character = character
        self.role = role
        self.isContinuation = isContinuation
    }
}

/// A grid of cells: what a frame looks like, independent of curses.
///
/// Widgets draw into a buffer and `CursesScreen` copies it to the terminal, so tests
/// compare buffers against expected lines without a terminal.
public struct ScreenBuffer: Sendable, Equatable {
    public let size: ScreenSize
    public private(set) var cells: [Cell]

    /// A blank buffer in the `normal` role.
    public init(size: ScreenSize) {
        self.size = size
        cells = Array(repeating: Cell(), count: max(0, size.width) * max(0, size.height))
    }

    /// The cell at column `x`, row `y`.
    public subscript(x: Int, y: Int) -> Cell {
        cells[y * size.width + x]
    }

    /// Row `y` as text (wide characters once, not twice).
    public func line(_ y: Int) -> String {
        var text = ""
        for x in 0..<size.width where !self[x, y].isContinuation {
            text.append(self[x, y].character)
        }
        return text
    }

    /// Every row as text.
    public func lines() -> [String] {
        (0..<size.height).map(line)
    }

    /// Writes `text` from column `x` of row `y`, clipped to `clip` and to the buffer.
    /// Returns the column after the last one written.
    @discardableResult
    mutating func put(_ text: String, x: Int, y: Int, role: StyleRole, clip: Rect? = nil) -> Int {
        let bounds = clip ?? Rect(x: 0, y: 0, width: size.width, height: size.height)
        guard y >= max(0, bounds.y), y < min(size.height, bounds.maxY) else { return x }
        let right = min(size.width, bounds.maxX)
        var column = x
        for character in text {
            let width = displayWidth(character)
            if width == 0 { continue }
            if column + width > right { break }
            if column >= max(0, bounds.x) {
                set(x: column, y: y, Cell(character: character, role: role))
                if width == 2 { set(x: column + 1, y: y, Cell(role: role, isContinuation: true)) }
            }
            column += width
        }
        return column
    }

    /// Fills `rect` with `character`.
    mutating func fill(_ rect: Rect, with character: Character = " ", role: StyleRole) {
        let row = String(repeating: character, count: max(0, rect.width))
        for y in rect.y..<rect.maxY {
            put(row, x: rect.x, y: y, role: role)
        }
    }

    /// Draws a box border around the edge of `rect`.
    mutating func box(_ rect: Rect, glyphs: GlyphSet, role: StyleRole) {
        guard rect.width >= 2, rect.height >= 2 else { return }
        let horizontal = String(repeating: glyphs.horizontal, count: rect.width - 2)
        put(glyphs.topLeft + horizontal + glyphs.topRight, x: rect.x, y: rect.y, role: role)
        put(glyphs.bottomLeft + horizontal + glyphs.bottomRight, x: rect.x, y: rect.maxY - 1, role: role)
        for y in rect.y + 1..<rect.maxY - 1 {
            put(glyphs.vertical, x: rect.x, y: y, role: role)
            put(glyphs.vertical, x: rect.maxX - 1, y: y, role: role)
        }
    }

    private mutating func set(x: Int, y: Int, _ cell: Cell) {
        cells[y * size.width + x] = cell
    }
}
