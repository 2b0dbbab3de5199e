import Foundation

/// Finds theme files by name in a list of directories, earlier directories first.
///
/// `--theme NAME` looks up `NAME.toml` here; `--theme PATH` (anything with a `/` or
/// ending in `.toml`) reads that file. `default` is always available: from a
/// `default.toml` in the directories if there is one, else compiled in.
public struct ThemeLibrary: Sendable {
    public var searchDirectories: [URL]

    public init(searchDirectories: [URL]) {
        self.searchDirectories = searchDirectories
    }

    /// The usual places, in order: `$XDG_CONFIG_HOME/demixer/themes` (or
    /// `~/.config/demixer/themes`), `share/demixer/themes` beside the executable's
    /// `bin`, and the `Themes` folder of a source checkout the executable was built in.
    public static func standard(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        executable: URL? = Bundle.main.executableURL
    ) -> ThemeLibrary {
        var directories: [URL] = []
        if let config = environment["XDG_CONFIG_HOME"], config.hasPrefix("/") {
            directories.append(URL(fileURLWithPath: config).appending(path: "demixer/themes"))
        } else if let home = environment["HOME"] {
            directories.append(URL(fileURLWithPath: home).appending(path: ".config/demixer/themes"))
        }
        if let executable {
            let binDirectory = executable.resolvingSymlinksInPath().deletingLastPathComponent()
            directories.append(binDirectory.deletingLastPathComponent().appending(path: "share/demixer/themes"))
            var folder = binDirectory
            while folder.path != "/" {
                if FileManager.default.fileExists(atPath: folder.appending(path: "Package.swift").path) {
                    directories.append(folder.appending(path: "Themes"))
                    break
                }
                folder = folder.deletingLastPathComponent()
            }
        }
        return ThemeLibrary(searchDirectories: directories)
    }

    /// Every theme name on offer, `default` first, then the rest sorted.
    public func themeNames() -> [String] {
        var names = Set<String>()
        for directory in searchDirectories {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            for file in files where file.hasSuffix(".toml") {
                names.insert(String(file.dropLast(5)))
            }
        }
        names.remove("default")
        return ["default"] + names.sorted()
    }

    /// Loads a theme by name or path.
    /// - Throws: `ThemeError` when no such theme exists or its file is broken.
    public func load(_ nameOrPath: String) throws(ThemeError) -> Theme {
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".toml") {
            return try Self.loadFile(URL(fileURLWithPath: nameOrPath))
        }
        if let file = file(named: nameOrPath) {
            return try Self.loadFile(file)
        }
        if nameOrPath == "default" { return .builtinDefault }
        let places = searchDirectories.map(\.path).joined(separator: ", ")
        throw ThemeError(file: nameOrPath, message: "no such theme (looked in \(places.isEmpty ? "no directories" : places); available: \(themeNames().joined(separator: ", ")))")
    }

    /// The themes `t` cycles through, starting at the one asked for.
    ///
    /// Never fails: a theme that cannot be loaded is reported in `problems` and left
    /// out, and the requested one falls back to the default.
    public func selection(startingWith nameOrPath: String?) -> ThemeSelection {
        var themes: [Theme] = []
        var problems: [ThemeError] = []
        for name in themeNames() {
            do {
                themes.append(try load(name))
            } catch {
                problems.append(error)
                if name == "default" { themes.append(.builtinDefault) }
            }
        }
        guard let nameOrPath else { return ThemeSelection(themes: themes, index: 0, problems: problems) }
        do {
            let requested = try load(nameOrPath)
            if let index = themes.firstIndex(of: requested) {
                return ThemeSelection(themes: themes, index: index, problems: problems)
            }
            themes.append(requested)
            return ThemeSelection(themes: themes, index: themes.count - 1, problems: problems)
        } catch {
            if !problems.contains(error) { problems.insert(error, at: 0) }
            return ThemeSelection(themes: themes, index: 0, problems: problems)
        }
    }

    private func file(named name: String) -> URL? {
        searchDirectories
            .map { $0.appending(path: "\(name).toml") }
            .first { FileManager.default.fileExists(atPath: $0.path) }
    }

    private static func loadFile(_ url: URL) throws(ThemeError) -> Theme {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ThemeError(file: url.path, message: "cannot read the file (\(error.localizedDescription))")
        }
        return try Theme.parse(toml: text, name: url.deletingPathExtension().lastPathComponent, file: url.path)
    }
}

/// The themes on offer and which one is in use.
public struct ThemeSelection: Sendable {
    /// Never empty: the default theme is always there.
    public var themes: [Theme]
    public var index: Int
    /// Theme files that could not be used, to show the person.
    public var problems: [ThemeError]

    public var current: Theme { themes[index] }
}
