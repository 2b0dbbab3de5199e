import TOMLKit

extension Theme {
    /// Parses a theme file.
    ///
    /// The file has a `[roles]` table with one entry per `StyleRole`, each an inline
    /// table `{ fg = "white", bg = "blue", attributes = ["bold"] }`; colours are
    /// `default`, an ANSI name (`red`, `bright-red`) or a palette index 0…255.
    /// Every role must be present and nothing else may be, so typos are caught.
    /// - Parameters:
    ///   - toml: The file's text.
    ///   - name: The theme's name.
    ///   - file: Where it came from, for error messages.
    /// - Throws: `ThemeError` naming the file and the key at fault.
    public static func parse(toml: String, name: String, file: String) throws(ThemeError) -> Theme {
        let document: TOMLTable
        do {
            document = try TOMLTable(string: toml)
        } catch let error as TOMLParseError {
            let position = error.source.begin
            throw ThemeError(file: "\(file):\(position.line):\(position.column)", message: error.description)
        } catch {
            throw ThemeError(file: file, message: "\(error)")
        }
        guard let roles = document["roles"]?.table else {
            throw ThemeError(file: file, key: "roles", message: "missing [roles] table")
        }
        let known = Set(StyleRole.allCases.map(\.rawValue))
        if let unknown = roles.keys.sorted().first(where: { !known.contains($0) }) {
            throw ThemeError(file: file, key: "roles.\(unknown)", message: "unknown role (known roles: \(StyleRole.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        var styles: [StyleRole: Style] = [:]
        for role in StyleRole.allCases {
            let key = "roles.\(role.rawValue)"
            guard let entry = roles[role.rawValue] else {
                throw ThemeError(file: file, key: key, message: "missing role")
            }
            guard let table = entry.table else {
                throw ThemeError(file: file, key: key, message: "expected a table such as { fg = \"white\", bg = \"blue\" }")
            }
            styles[role] = try parseStyle(table, key: key, file: file)
        }
        return Theme(name: name, styles: styles)
    }

    private static func parseStyle(_ table: TOMLTable, key: String, file: String) throws(ThemeError) -> Style {
        let fields = ["fg", "bg", "attributes"]
        if let unknown = table.keys.sorted().first(where: { !fields.contains($0) }) {
            throw ThemeError(file: file, key: "\(key).\(unknown)", message: "unknown field (expected fg, bg, attributes)")
        }
        var style = Style()
        style.foreground = try parseColor(table["fg"], key: "\(key).fg", file: file)
        style.background = try parseColor(table["bg"], key: "\(key).bg", file: file)
        if let value = table["attributes"] {
            guard let array = value.array else {
                throw ThemeError(file: file, key: "\(key).attributes", message: "expected a list such as [\"bold\"]")
            }
            for item in array {
                guard let text = item.string, let attribute = TextAttribute(rawValue: text) else {
                    throw ThemeError(file: file, key: "\(key).attributes", message: "unknown attribute \(item.debugDescription) (expected \(TextAttribute.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                style.attributes.insert(attribute)
            }
        }
        return style
    }

    private static func parseColor(_ value: TOMLValueConvertible?, key: String, file: String) throws(ThemeError) -> ThemeColor {
        guard let value else { return .terminalDefault }
        if let index = value.int {
            guard (0...255).contains(index) else {
                throw ThemeError(file: file, key: key, message: "palette index \(index) is outside 0…255")
            }
            return .palette(index)
        }
        if let text = value.string, let color = ThemeColor(name: text) {
            return color
        }
        throw ThemeError(file: file, key: key, message: "unknown colour \(value.debugDescription) (expected default, \(ThemeColor.names.joined(separator: ", ")), bright-<name> or 0…255)")
    }
}
