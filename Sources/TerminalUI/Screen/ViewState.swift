import Foundation

/// What is drawn over the mixer.
enum Overlay: Sendable, Equatable {
    case none
    /// `scroll` is the first help row shown when help is taller than the screen.
    case help(scroll: Int)
    case exportDialog(ExportDialogState)
    case quitConfirmation

    var keyContext: KeyContext {
        switch self {
        case .none: .mixer
        case .help: .help
        case .exportDialog: .exportDialog
        case .quitConfirmation: .quitConfirmation
        }
    }
}

/// The export dialog's fields.
struct ExportDialogState: Sendable, Equatable {
    enum Field: CaseIterable, Sendable {
        case kind, format, destination
    }

    var kind: ExportKind = .remix
    var format: ExportFormat = .flac24
    var destination: String
    var field: Field = .kind

    /// The request that Enter sends.
    var request: ExportRequest {
        ExportRequest(kind: kind, format: format,
                      destination: URL(fileURLWithPath: (destination as NSString).expandingTildeInPath))
    }
}

/// The screen's own state, beside the player's snapshot.
struct ViewState: Sendable, Equatable {
    var overlay: Overlay = .none
    var themeName = "default"
    /// A message of the screen's own (a broken theme), shown until the next key.
    var notice: String?
}
