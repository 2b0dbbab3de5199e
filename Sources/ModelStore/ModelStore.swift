import DemoAssets
import Demucs
import Foundation
import ModelFiles

/// The installed model weights: what the manifest offers and what is in the weights
/// directory, downloading and importing files into it, checking them, and turning a
/// model name or a `--weights` path into a `ModelBag` to separate with. The methods
/// block while they read, hash or download; run them off any interactive thread.
public struct ModelStore: Sendable {
    /// The model used when none is named.
    public static let defaultModel = "htdemucs"
    /// The small model that ships with Demixer, for running offline.
    public static let demoModel = "demo"

    public let manifest: ModelManifest
    public let locations: Locations
    /// Where the files of bundled models are; nil when none ship.
    public let bundledDirectory: URL?

    public init(manifest: ModelManifest, locations: Locations, bundledDirectory: URL? = nil) {
        self.manifest = manifest
        self.locations = locations
        self.bundledDirectory = bundledDirectory
    }

    /// The bundled manifest and demo model, and the locations this process's environment gives.
    public static func standard() throws(ModelStoreError) -> ModelStore {
        ModelStore(manifest: try .bundled(), locations: Locations(), bundledDirectory: DemoAssets.modelDirectory)
    }

    /// Where a downloaded or imported `file` lives once installed.
    public func installedURL(of file: ModelManifest.File) -> URL {
        locations.weightsDirectory.appendingPathComponent(file.name)
    }

    /// Where `file` of `model` is read from: the bundle for a bundled model, else the
    /// weights directory.
    public func url(of file: ModelManifest.File, in model: ModelManifest.Model) -> URL {
        guard model.isBundled, let bundledDirectory else { return installedURL(of: file) }
        return bundledDirectory.appendingPathComponent(file.name)
    }

    private func missingFiles(of model: ModelManifest.Model) -> [String] {
        model.files.filter { !FileManager.default.fileExists(atPath: url(of: $0, in: model).path) }.map(\.name)
    }

    private func entry(named name: String) throws(ModelStoreError) -> ModelManifest.Model {
        guard let model = manifest.model(named: name) else {
            throw .unknownModel(name, known: manifest.models.map(\.name))
        }
        return model
    }

    // MARK: list

    /// A manifest model and which of its files are present (not hashed; see `verify`).
    public struct ModelStatus: Sendable, Equatable {
        public var model: ModelManifest.Model
        public var missingFiles: [String]
        /// Every file is present.
        public var isInstalled: Bool { missingFiles.isEmpty }
    }

    /// Every manifest model with whether its files are present (in the weights
    /// directory, or in Demixer's resources for a bundled model).
    public func list() -> [ModelStatus] {
        manifest.models.map { ModelStatus(model: $0, missingFiles: missingFiles(of: $0)) }
    }

    // MARK: fetch

    /// What `fetch` did with one file.
    public enum FetchOutcome: Sendable, Equatable {
        case downloaded
        /// Already present with the right checksum, so not downloaded again.
        case alreadyInstalled
    }

    /// One file `fetch` handled.
    public struct FetchedFile: Sendable, Equatable {
        public var name: String
        public var outcome: FetchOutcome
    }

    /// Downloads every file of the model `name` that is not already installed with
    /// the right checksum, from `baseURL`, else `$DEMIXER_WEIGHTS_URL`, else the
    /// manifest's URL. Each file is hashed while it streams into a temporary file and
    /// is renamed into place only when its sha256 prefix matches; a mismatch deletes it.
    /// A bundled model is never downloaded; its files only have to be present.
    public func fetch(
        _ name: String, from baseURL: URL? = nil,
        progress: @escaping @Sendable (FetchProgress) -> Void = { _ in }
    ) throws(ModelStoreError) -> [FetchedFile] {
        let model = try entry(named: name)
        if model.isBundled {
            let missing = missingFiles(of: model)
            guard missing.isEmpty else { throw .bundleIncomplete(model: name, missing: missing) }
            return model.files.map { FetchedFile(name: $0.name, outcome: .alreadyInstalled) }
        }
        let base = baseURL ?? locations.weightsURLOverride ?? manifest.baseURL
        var outcomes: [FetchedFile] = []
        for (index, file) in model.files.enumerated() {
            let destination = installedURL(of: file)
            if let installed = try? sha256Hex(of: destination), installed.hasPrefix(file.sha256Prefix) {
                outcomes.append(FetchedFile(name: file.name, outcome: .alreadyInstalled))
                continue
            }
            let source = base.appendingPathComponent(file.name)
            try StagedFile.install(destination, expectedPrefix: file.sha256Prefix) { staged throws(ModelStoreError) in
                try Transfer.fetch(source, into: staged, fallbackTotal: file.approximateBytes) { done, total in
                    progress(FetchProgress(
                        file: file.name, fileIndex: index, fileCount: model.files.count, bytesDone: done, bytesTotal: total))
                }
            }
            outcomes.append(FetchedFile(name: file.name, outcome: .downloaded))
        }
        return outcomes
    }

    // MARK: import

    /// Copies a local `.th` or `.safetensors` file into the weights directory under
    /// its own name, after checking that it loads as an HT Demucs model. A name that
    /// carries a checksum (`<sig>-<sha8>.th`) is verified while loading and again on
    /// the copy, so an official file imported by hand counts as installed.
    /// Returns where it was installed.
    @discardableResult
    public func importModel(at source: URL) throws(ModelStoreError) -> URL {
        guard ["th", "safetensors"].contains(source.pathExtension) else {
            throw .invalidModelFile(path: source.path, reason: "expected a .th or .safetensors file")
        }
        do {
            _ = try HTDemucs.load(contentsOf: source)
        } catch {
            throw .invalidModelFile(path: source.path, reason: "\(error)")
        }
        let destination = locations.weightsDirectory.appendingPathComponent(source.lastPathComponent)
        let promised = ModelChecksum.expectedPrefix(forFileName: source.lastPathComponent) ?? ""
        try StagedFile.install(destination, expectedPrefix: promised) { staged throws(ModelStoreError) in
            try forEachChunk(of: source) { chunk throws(ModelStoreError) in try staged.append(chunk) }
        }
        return destination
    }

    // MARK: verify

    /// The state of one installed file after hashing it.
    public enum FileHealth: Sendable, Equatable {
        case ok
        case missing
        /// Present but unusable; `reason` says how (checksum or read error).
        case corrupt(reason: String)
    }

    /// One installed file after hashing.
    public struct FileCheck: Sendable, Equatable {
        public var name: String
        public var health: FileHealth
    }

    /// Every file of one model, hashed.
    public struct Verification: Sendable, Equatable {
        public var model: String
        public var files: [FileCheck]

        /// Every file is present and matches its checksum.
        public var isHealthy: Bool { files.allSatisfy { $0.health == .ok } }
        /// No file is present: not installed rather than broken.
        public var isAbsent: Bool { files.allSatisfy { $0.health == .missing } }
    }

    /// Re-hashes the installed files of the named models (all manifest models when
    /// `names` is nil) against the manifest's sha256 prefixes.
    public func verify(_ names: [String]? = nil) throws(ModelStoreError) -> [Verification] {
        var models: [ModelManifest.Model] = []
        for name in names ?? manifest.models.map(\.name) { models.append(try entry(named: name)) }
        return models.map { model in
            Verification(
                model: model.name, files: model.files.map { FileCheck(name: $0.name, health: health(of: $0, in: model)) })
        }
    }

    private func health(of file: ModelManifest.File, in model: ModelManifest.Model) -> FileHealth {
        let url = url(of: file, in: model)
        guard FileManager.default.fileExists(atPath: url.path) else { return .missing }
        do throws(ModelStoreError) {
            let actual = try sha256Hex(of: url)
            guard actual.hasPrefix(file.sha256Prefix) else {
                return .corrupt(reason: "sha256 starts with \(actual.prefix(8)), expected \(file.sha256Prefix)")
            }
            return .ok
        } catch {
            return .corrupt(reason: "\(error)")
        }
    }

    // MARK: resolve

    /// The network(s) to separate with, and how to name them.
    public struct ResolvedModel: Sendable {
        public var bag: ModelBag
        /// One line for people: the model's name or file and its sources.
        public var description: String
        /// Changes whenever the weights do: the checksummed file names, or the sha256
        /// of a file whose name carries none. The stem cache keys on it.
        public var identity: String
    }

    /// Chooses the model to run: an explicit `weightsPath` (a `.th` or
    /// `.safetensors` file) wins; otherwise the manifest model `name` (default
    /// `htdemucs`) from the weights directory, weighted as the manifest says. When it
    /// is not installed the error says which command to run.
    public func resolve(name: String?, weightsPath: String?) throws(ModelStoreError) -> ResolvedModel {
        if let weightsPath {
            let url = URL(fileURLWithPath: weightsPath)
            let model: HTDemucs
            do {
                model = try HTDemucs.load(contentsOf: url)
            } catch {
                throw .invalidModelFile(path: url.path, reason: "\(error)")
            }
            let identity = ModelChecksum.expectedPrefix(forFileName: url.lastPathComponent) != nil
                ? url.lastPathComponent : "sha256:\(try sha256Hex(of: url))"
            return ResolvedModel(
                bag: ModelBag(model),
                description: "\(url.lastPathComponent) (\(model.config.sources.joined(separator: ", ")))",
                identity: identity)
        }
        let entry = try entry(named: name ?? Self.defaultModel)
        let missing = missingFiles(of: entry)
        guard missing.isEmpty else {
            if entry.isBundled { throw .bundleIncomplete(model: entry.name, missing: missing) }
            throw .notInstalled(model: entry.name, directory: locations.weightsDirectory.path, missing: missing)
        }
        var models: [HTDemucs] = []
        for file in entry.files {
            let url = url(of: file, in: entry)
            do {
                models.append(try HTDemucs.load(contentsOf: url))
            } catch {
                if entry.isBundled { throw .invalidModelFile(path: url.path, reason: "\(error); rebuild or reinstall Demixer") }
                throw .unusableInstalledFile(model: entry.name, path: url.path, reason: "\(error)")
            }
            if models.last!.config.sources != entry.sources {
                throw .unusableInstalledFile(
                    model: entry.name, path: url.path,
                    reason: "it separates \(models.last!.config.sources.joined(separator: ", ")), "
                        + "the manifest expects \(entry.sources.joined(separator: ", "))")
            }
        }
        let bag: ModelBag
        do {
            bag = try ModelBag(models: models, weights: entry.weights)
        } catch {
            throw .invalidManifest("model '\(entry.name)': \(error)")
        }
        let count = models.count == 1 ? "" : "bag of \(models.count) models, "
        return ResolvedModel(
            bag: bag,
            description: "\(entry.name): \(entry.description) (\(count)\(entry.sources.joined(separator: ", ")))",
            identity: "\(entry.name):\(entry.files.map(\.name).joined(separator: "+"))")
    }
}
