/// What can go wrong finding, downloading, importing or loading model weights. Each
/// message names the file or model and, where there is one, the command that fixes it.
public enum ModelStoreError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The manifest names no model called `name`.
    case unknownModel(String, known: [String])
    /// Files of `model` are absent from `directory`.
    case notInstalled(model: String, directory: String, missing: [String])
    /// Files of a model that ships with Demixer are absent: a broken installation.
    case bundleIncomplete(model: String, missing: [String])
    /// An installed file of `model` failed to load (corrupt, truncated, wrong model).
    case unusableInstalledFile(model: String, path: String, reason: String)
    /// A file given with `--weights` or to `import` is not a loadable HT Demucs model.
    case invalidModelFile(path: String, reason: String)
    /// Downloaded or copied bytes do not hash to what the manifest or file name promises.
    case checksumMismatch(file: String, expected: String, actual: String)
    /// A download could not complete.
    case downloadFailed(file: String, url: String, reason: String)
    /// A URL scheme other than `file`, `http` or `https`.
    case unsupportedURL(String)
    /// A file system call failed on `path`.
    case fileSystem(path: String, operation: String, reason: String)
    case invalidManifest(String)

    public var description: String {
        switch self {
        case .unknownModel(let name, let known):
            return "Unknown model '\(name)'. Known models: \(known.joined(separator: ", ")); "
                + "or pass --weights PATH to a .th or .safetensors file."
        case .notInstalled(let model, let directory, let missing):
            return "The model '\(model)' is not installed (\(missing.joined(separator: ", ")) missing from \(directory)). "
                + "Run `demixer weights fetch \(model)` to download it, or pass --weights PATH to a .th or .safetensors file. "
                + "Offline, `-n \(ModelStore.demoModel)` uses the bundled demo model (trained on synthetic songs only)."
        case .bundleIncomplete(let model, let missing):
            return "The bundled model '\(model)' is incomplete (\(missing.joined(separator: ", ")) missing from Demixer's "
                + "resources); rebuild or reinstall Demixer."
        case .unusableInstalledFile(let model, let path, let reason):
            return "\(path) cannot be used: \(reason). Run `demixer weights fetch \(model)` to download it again."
        case .invalidModelFile(let path, let reason):
            return "\(path) is not a usable HT Demucs model: \(reason)"
        case .checksumMismatch(let file, let expected, let actual):
            return "\(file): checksum mismatch: its sha256 should start with \(expected) but starts with "
                + "\(actual.prefix(max(expected.count, 8))); the file was not installed."
        case .downloadFailed(let file, let url, let reason):
            return "Downloading \(file) from \(url) failed: \(reason)"
        case .unsupportedURL(let url):
            return "Cannot download from \(url): only file://, http:// and https:// URLs are supported."
        case .fileSystem(let path, let operation, let reason):
            return "\(path): \(operation) failed: \(reason)"
        case .invalidManifest(let reason):
            return "Invalid model manifest: \(reason)"
        }
    }
}
