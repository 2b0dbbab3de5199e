/// A terminal size in character cells.
public struct ScreenSize: Sendable, Equatable {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }
}

/// A rectangle of cells; `x`, `y` is the top-left cell.
struct Rect: Sendable, Equatable {
    var x: Int
    var y: Int
    var width: Int
    var height: Int

    var maxX: Int { x + width }
    var maxY: Int { y + height }

    func contains(x px: Int, y py: Int) -> Bool {
        px >= x && px < maxX && py >= y && py < maxY
    }

    /// This rectangle shrunk by `amount` on every side.
    func inset(by amount: Int) -> Rect {
        Rect(x: x + amount, y: y + amount, width: max(0, width - 2 * amount),
             height: max(0, height - 2 * amount))
    }

    /// A `width` × `height` rectangle centred in this one.
    func centered(width w: Int, height h: Int) -> Rect {
        Rect(x: x + max(0, (width - w) / 2), y: y + max(0, (height - h) / 2),
             width: min(w, width), height: min(h, height))
    }
}
