import Foundation

/// The demo model and demo song that ship with Demixer, so that it separates and plays
/// something on a machine that cannot download the official weights. The model is a
/// small HT Demucs trained on synthetic songs (see `MODEL_CARD.md`): good for the
/// demo song, poor on real music.
public enum DemoAssets {
    /// The folder holding the demo model's checkpoint.
    public static var modelDirectory: URL? { Bundle.module.url(forResource: "model", withExtension: nil) }

    /// The 30-second synthetic demo song (FLAC), from a seed held out of training.
    public static var song: URL? { Bundle.module.url(forResource: "demo-song", withExtension: "flac") }
}
