import Foundation
import Testing
@testable import TerminalUI

@Suite struct ThemeTests {
    let library = ThemeLibrary(searchDirectories: [repositoryThemes])

    @Test func shippedThemesParseAndDefineEveryRole() throws {
        let names = library.themeNames()
        #expect(names.first == "default")
        #expect(Set(["default", "mono", "amber", "ocean"]).isSubset(of: names))
        for name in names {
            let theme = try library.load(name)
            #expect(Set(theme.styles.keys) == Set(StyleRole.allCases), "\(name) misses roles")
        }
    }

    @Test func monoThemeUsesNoColours() throws {
        let mono = try library.load("mono")
        for role in StyleRole.allCases {
            #expect(mono.style(for: role).foreground == .terminalDefault)
            #expect(mono.style(for: role).background == .terminalDefault)
        }
    }

    @Test func compiledInDefaultMatchesTheShippedFile() throws {
        let text = try String(contentsOf: repositoryThemes.appending(path: "default.toml"), encoding: .utf8)
        #expect(text == Theme.builtinDefaultTOML + "\n")
        #expect(try library.load("default") == Theme.builtinDefault)
    }

    @Test func colourNamesIndicesAndAttributesParse() throws {
        let style = try #require(Theme.builtinDefault.styles[.header])
        #expect(style == Style(foreground: .palette(7), background: .palette(4), attributes: [.bold]))
        #expect(try library.load("amber").style(for: .normal).foreground == .palette(214))
        #expect(Theme.builtinDefault.style(for: .timelinePending).foreground == .palette(8))
    }

    @Test func coloursFallBackOnTerminalsWithFewerColours() {
        #expect(ThemeColor.palette(9).cursesColor(colorCount: 8) == 1)
        #expect(ThemeColor.palette(9).cursesColor(colorCount: 256) == 9)
        #expect(ThemeColor.palette(196).cursesColor(colorCount: 8) == 1)
        #expect(ThemeColor.palette(21).cursesColor(colorCount: 16) == 12)
        #expect(ThemeColor.terminalDefault.cursesColor(colorCount: 8) == -1)
    }

    @Test(arguments: [
        ("header = { fg = \"purpel\" }", "roles.header.fg", "unknown colour"),
        ("header = { fg = 300 }", "roles.header.fg", "outside 0…255"),
        ("header = { attributes = [\"blink\"] }", "roles.header.attributes", "unknown attribute"),
        ("header = { colour = \"red\" }", "roles.header.colour", "unknown field"),
        ("heder = {}", "roles.heder", "unknown role"),
        ("header = \"red\"", "roles.header", "expected a table"),
    ])
    func brokenEntryIsReportedWithItsKey(line: String, key: String, message: String) throws {
        let text = Theme.builtinDefaultTOML.split(separator: "\n")
            .filter { !$0.hasPrefix("header =") }.joined(separator: "\n") + "\n" + line + "\n"
        #expect {
            try Theme.parse(toml: text, name: "broken", file: "broken.toml")
        } throws: { error in
            guard let error = error as? ThemeError else { return false }
            return error.file == "broken.toml" && error.key == key && error.message.contains(message)
        }
    }

    @Test func missingRoleIsReported() {
        let text = Theme.builtinDefaultTOML.split(separator: "\n").filter { !$0.hasPrefix("clip =") }.joined(separator: "\n")
        #expect(throws: ThemeError(file: "x.toml", key: "roles.clip", message: "missing role")) {
            try Theme.parse(toml: text, name: "x", file: "x.toml")
        }
    }

    @Test func syntaxErrorNamesFileLineAndColumn() {
        #expect {
            try Theme.parse(toml: "[roles]\nheader = {", name: "x", file: "x.toml")
        } throws: { error in
            (error as? ThemeError)?.file.hasPrefix("x.toml:2:") == true
        }
    }

    @Test func brokenThemeFileFallsBackToTheDefaultWithAClearMessage() throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "demixer-themes-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let broken = directory.appending(path: "broken.toml")
        try "[roles]\nnormal = { fg = \"nope\" }\n".write(to: broken, atomically: true, encoding: .utf8)

        let selection = ThemeLibrary(searchDirectories: [directory]).selection(startingWith: "broken")
        #expect(selection.current == Theme.builtinDefault)
        let problem = try #require(selection.problems.first)
        #expect(problem.file == broken.path)
        #expect(problem.key == "roles.normal.fg")
        #expect(problem.description.hasPrefix("\(broken.path): roles.normal.fg: unknown colour \"nope\""))

        let app = TerminalApp(controller: FakeController(), themes: selection)
        #expect(app.render(size: .typical).line(3).contains("roles.normal.fg"))
    }

    @Test func unknownNameFallsBackToTheDefault() {
        let selection = library.selection(startingWith: "no-such-theme")
        #expect(selection.current.name == "default")
        #expect(selection.problems.first?.description.contains("no such theme") == true)
    }

    @Test func themeCanBeGivenByPath() throws {
        let selection = ThemeLibrary(searchDirectories: []).selection(startingWith: repositoryThemes.appending(path: "ocean.toml").path)
        #expect(selection.current.name == "ocean")
        #expect(selection.problems.isEmpty)
    }

    @Test func standardSearchPathsFollowXDGAndTheCheckout() {
        let executable = repositoryThemes.deletingLastPathComponent().appending(path: ".build/debug/demixer")
        let library = ThemeLibrary.standard(environment: ["XDG_CONFIG_HOME": "/cfg", "HOME": "/home/u"], executable: executable)
        #expect(library.searchDirectories.first?.path == "/cfg/demixer/themes")
        #expect(library.searchDirectories.last?.standardizedFileURL.path == repositoryThemes.standardizedFileURL.path)
        let noXDG = ThemeLibrary.standard(environment: ["HOME": "/home/u"], executable: nil)
        #expect(noXDG.searchDirectories.map(\.path) == ["/home/u/.config/demixer/themes"])
    }
}
