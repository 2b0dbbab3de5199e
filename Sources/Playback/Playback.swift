// Playback: placeholder until the module lands.
enum _PlaybackPlaceholder {}
