import Foundation

/// A terminal the mixer runs on: `CursesScreen` for real, or a fake in tests.
public protocol TerminalDevice: AnyObject {
    /// The current size in cells.
    var size: ScreenSize { get }
    /// Whether box-drawing and block characters can be shown (a UTF-8 locale).
    var supportsUnicode: Bool { get }
    /// Shows `buffer` in `theme`'s colours.
    func present(_ buffer: ScreenBuffer, theme: Theme)
    /// The next event, waiting at most `timeoutMilliseconds`; nil when none came.
    func nextEvent(timeoutMilliseconds: Int) -> InputEvent?
}

/// The interactive mixer: draws the controller's snapshots and turns keys and mouse
/// into `PlayerCommand`s.
///
/// `run(on:)` is the whole loop; `handle(_:)` and `render(size:)` are one step of it,
/// public so that a test or a demo can drive the screen with a fake controller.
public final class TerminalApp {
    /// About 30 frames a second.
    static let frameMilliseconds = 33

    private let controller: any PlayerController
    private var themes: ThemeSelection
    private let exportDirectory: String
    private var view = ViewState()
    private var glyphs: GlyphSet
    /// The strip whose fader is being dragged.
    private var dragStrip: Int?
    private var lastSize = ScreenSize(width: 80, height: 24)
    private var isFinished = false

    /// - Parameters:
    ///   - controller: The player.
    ///   - themes: The themes `t` cycles through; problems are shown on the status line.
    ///   - glyphs: Unicode or ASCII drawing characters.
    ///   - exportDirectory: Where the export dialog suggests writing.
    public init(controller: any PlayerController, themes: ThemeSelection, glyphs: GlyphSet = .unicode,
                exportDirectory: String = FileManager.default.currentDirectoryPath) {
        self.controller = controller
        self.themes = themes
        self.glyphs = glyphs
        self.exportDirectory = exportDirectory
        view.themeName = themes.current.name
        if let problem = themes.problems.first {
            view.notice = "\(problem); using theme \(themes.current.name)"
        }
    }

    /// The theme in use.
    public var theme: Theme { themes.current }

    /// Whether the loop is over: the controller quit or a signal asked to.
    public var hasFinished: Bool { isFinished || controller.snapshot().shouldQuit }

    /// Opens the terminal, runs the mixer until the controller quits or a signal
    /// arrives, and always restores the terminal.
    /// - Parameters:
    ///   - controller: The player.
    ///   - theme: `--theme`: a theme name or a path; nil for the default.
    ///   - library: Where theme names are looked up.
    /// - Throws: `TerminalError` when the terminal cannot be opened.
    public static func run(controller: any PlayerController, theme: String? = nil,
                           library: ThemeLibrary = .standard()) throws {
        let selection = library.selection(startingWith: theme)
        let terminal = try Terminal()
        defer { terminal.close() }
        let screen = CursesScreen(terminal: terminal)
        let app = TerminalApp(controller: controller, themes: selection,
                              glyphs: terminal.isUTF8 ? .unicode : .ascii)
        app.run(on: screen)
    }

    /// Draws and handles events until finished.
    public func run(on device: some TerminalDevice) {
        if !device.supportsUnicode { glyphs = .ascii }
        while !hasFinished {
            lastSize = device.size
            device.present(render(size: lastSize), theme: theme)
            var timeout = Self.frameMilliseconds
            while let event = device.nextEvent(timeoutMilliseconds: timeout) {
                handle(event)
                if hasFinished { return }
                timeout = 0
            }
        }
    }

    /// The frame for the controller's current snapshot.
    public func render(size: ScreenSize) -> ScreenBuffer {
        lastSize = size
        return MixerScreen.render(controller.snapshot(), size: size, view: view, glyphs: glyphs)
    }

    /// Handles one event: sends the commands it means to the controller, or changes
    /// what the screen shows.
    public func handle(_ event: InputEvent) {
        let snapshot = controller.snapshot()
        switch event {
        case .terminate:
            controller.handle(.quit)
            isFinished = true
        case .resize:
            break
        case .key(let key):
            view.notice = nil
            handleKey(key, snapshot: snapshot)
        case .mouse(let mouse):
            guard view.overlay == .none, let layout = MixerLayout(size: lastSize, snapshot: snapshot) else { return }
            for command in mouseCommands(mouse, layout: layout) {
                controller.handle(command)
            }
        }
    }

    private func handleKey(_ key: Key, snapshot: PlayerSnapshot) {
        let context = view.overlay.keyContext
        guard let action = keyAction(for: key, in: context) else {
            if case .exportDialog(var dialog) = view.overlay, dialog.field == .destination,
               case .character(let character) = key {
                dialog.destination.append(character)
                view.overlay = .exportDialog(dialog)
            }
            return
        }
        perform(action, key: key, snapshot: snapshot)
    }

    private func perform(_ action: KeyAction, key: Key, snapshot: PlayerSnapshot) {
        let selected = snapshot.selectedStrip
        let isStem = snapshot.mix.strips.indices.contains(selected)
        switch action {
        case .command(let command): controller.handle(command)
        case .adjustSelectedGain(let dB): controller.handle(.adjustGain(strip: selected, dB: dB))
        case .resetSelected: controller.handle(.resetStrip(selected))
        case .toggleMuteSelected: if isStem { controller.handle(.toggleMute(selected)) }
        case .soloSelected(let exclusive): if isStem { controller.handle(.solo(selected, exclusive: exclusive)) }
        case .selectStripByNumber:
            if case .character(let digit) = key, let number = digit.wholeNumberValue,
               number >= 1, number <= snapshot.masterStrip + 1 {
                controller.handle(.selectStrip(number - 1))
            }
        case .pair(let first, let second):
            controller.handle(keyBindings.first { $0.action == action }?.keys.first == key ? first : second)
        case .stepTempo:
            if case .character(let character) = key, let step = tempoSteps[character] {
                controller.handle(.adjustTempo(percent: step))
            }
        case .stepKey:
            if case .character(let character) = key, let step = keySteps[character] {
                controller.handle(.transpose(semitones: step))
            }
        case .toggleHelp: view.overlay = .help(scroll: 0)
        case .openExportDialog: view.overlay = .exportDialog(ExportDialogState(destination: exportDirectory))
        case .cycleTheme:
            themes.index = (themes.index + 1) % themes.themes.count
            view.themeName = themes.current.name
        case .requestQuit:
            if snapshot.export != nil {
                view.overlay = .quitConfirmation
            } else {
                controller.handle(.quit)
                isFinished = true
            }
        case .confirmQuit:
            controller.handle(.cancelExport)
            controller.handle(.quit)
            isFinished = true
        case .closeOverlay: view.overlay = .none
        case .scrollUp, .scrollDown:
            if case .help(let scroll) = view.overlay {
                view.overlay = .help(scroll: max(0, scroll + (action == .scrollUp ? -1 : 1)))
            }
        case .nextField, .previousField, .previousChoice, .nextChoice, .deleteCharacter, .startExport:
            guard case .exportDialog(let dialog) = view.overlay else { return }
            editExportDialog(dialog, action: action)
        }
    }

    private func editExportDialog(_ dialog: ExportDialogState, action: KeyAction) {
        var dialog = dialog
        let fields = ExportDialogState.Field.allCases
        let fieldIndex = fields.firstIndex(of: dialog.field) ?? 0
        switch action {
        case .nextField: dialog.field = fields[(fieldIndex + 1) % fields.count]
        case .previousField: dialog.field = fields[(fieldIndex + fields.count - 1) % fields.count]
        case .previousChoice, .nextChoice:
            let step = action == .nextChoice ? 1 : -1
            switch dialog.field {
            case .kind: dialog.kind = cycled(dialog.kind, by: step)
            case .format: dialog.format = cycled(dialog.format, by: step)
            case .destination:
                if action == .nextChoice { dialog.destination.append(" ") }
            }
        case .deleteCharacter:
            if dialog.field == .destination, !dialog.destination.isEmpty { dialog.destination.removeLast() }
        case .startExport:
            controller.handle(.export(dialog.request))
            view.overlay = .none
            return
        default: return
        }
        view.overlay = .exportDialog(dialog)
    }

    /// Commands for a mouse event: clicks select, toggle and seek; dragging a fader
    /// keeps setting its gain until the button is released; the wheel nudges a fader.
    func mouseCommands(_ event: MouseEvent, layout: MixerLayout) -> [PlayerCommand] {
        switch event.kind {
        case .press:
            switch layout.hitTest(x: event.x, y: event.y) {
            case .strip(let index): return [.selectStrip(index)]
            case .mute(let index): return [.toggleMute(index)]
            case .solo(let index): return [.solo(index, exclusive: true)]
            case .fader(let index, let dB):
                dragStrip = index
                return [.selectStrip(index), .setGain(strip: index, dB: dB)]
            case .timeline(let seconds): return [.seekTo(seconds: seconds)]
            case nil: return []
            }
        case .drag:
            guard let index = dragStrip, layout.strips.indices.contains(index) else { return [] }
            return [.setGain(strip: index, dB: layout.strips[index].gain(atRow: event.y))]
        case .release:
            dragStrip = nil
            return []
        case .scrollUp, .scrollDown:
            guard let strip = layout.strips.first(where: { $0.frame.contains(x: event.x, y: event.y) }) else { return [] }
            return [.adjustGain(strip: strip.index, dB: event.kind == .scrollUp ? 1 : -1)]
        }
    }
}

/// The next or previous case of `value`, wrapping around.
private func cycled<T: CaseIterable & Equatable>(_ value: T, by step: Int) -> T {
    let all = Array(T.allCases)
    let index = all.firstIndex(of: value) ?? 0
    return all[(index + step + all.count) % all.count]
}
