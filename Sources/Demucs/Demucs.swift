// Demucs
