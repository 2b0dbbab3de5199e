import Mixing
import TerminalUI

/// Stands in for the player when a song cannot be opened (unreadable file, missing
/// weights): the mixer screen comes up with the reason on its status line instead of
/// the program exiting under the user, and `q` leaves.
final class NoticeController: PlayerController {
    private var state: PlayerSnapshot

    init(fileName: String, message: String) {
        state = PlayerSnapshot(fileName: fileName, mix: MixState(stems: []), statusMessage: message)
    }

    func snapshot() -> PlayerSnapshot { state }

    func handle(_ command: PlayerCommand) {
        if command == .quit { state.shouldQuit = true }
    }
}
