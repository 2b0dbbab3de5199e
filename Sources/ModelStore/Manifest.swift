import Foundation
import ModelFiles

/// The models Demixer knows by name: where their files come from, what each file's
/// sha256 must start with, and how a bag's estimates are weighted. The bundled
/// `models.json` names the official HT Demucs releases; tests build their own.
public struct ModelManifest: Sendable, Equatable, Codable {
    /// The directory URL every model file is downloaded from (`<baseURL>/<file name>`).
    public var baseURL: URL
    /// Where the models come from and under which terms, for people reading the file.
    public var origin: String
    public var models: [Model]

    /// One named model: a single network, or a bag whose estimates are averaged.
    public struct Model: Sendable, Equatable, Codable {
        public var name: String
        public var description: String
        /// Stem names in the order the model outputs them.
        public var sources: [String]
        public var files: [File]
        /// `weights[file][source]` for bags (demucs's `BagOfModels`); nil means all ones.
        public var weights: [[Float]]?
        /// Ships inside Demixer (the demo model) rather than being downloaded.
        public var bundled: Bool?

        public init(
            name: String, description: String, sources: [String], files: [File], weights: [[Float]]? = nil,
            bundled: Bool = false
        ) {
            self.name = name
            self.description = description
            self.sources = sources
            self.files = files
            self.weights = weights
            self.bundled = bundled ? true : nil
        }

        /// Whether the files ship with Demixer instead of being downloaded.
        public var isBundled: Bool { bundled ?? false }
    }

    /// One checkpoint file of a model.
    public struct File: Sendable, Equatable, Codable {
        /// The file name, also its name on the server and in the weights directory.
        public var name: String
        /// The first hex digits of the file's sha256 (lowercase).
        public var sha256Prefix: String
        /// A size to show progress against when the server does not say.
        public var approximateBytes: Int64?

        public init(name: String, sha256Prefix: String, approximateBytes: Int64? = nil) {
            self.name = name
            self.sha256Prefix = sha256Prefix
            self.approximateBytes = approximateBytes
        }
    }

    /// A manifest, checked for consistency (see `validate()`).
    public init(baseURL: URL, origin: String, models: [Model]) throws(ModelStoreError) {
        self.baseURL = baseURL
        self.origin = origin
        self.models = models
        try validate()
    }

    /// The manifest bundled with Demixer (`models.json`).
    public static func bundled() throws(ModelStoreError) -> ModelManifest {
        guard let url = Bundle.module.url(forResource: "models", withExtension: "json") else {
            throw .invalidManifest("models.json is missing from the ModelStore resources")
        }
        return try load(contentsOf: url)
    }

    /// Reads and checks a manifest file.
    public static func load(contentsOf url: URL) throws(ModelStoreError) -> ModelManifest {
        let manifest: ModelManifest
        do {
            manifest = try JSONDecoder().decode(ModelManifest.self, from: Data(contentsOf: url))
        } catch {
            throw .invalidManifest("\(url.path): \(error)")
        }
        try manifest.validate()
        return manifest
    }

    /// The model called `name`, if the manifest has one.
    public func model(named name: String) -> Model? {
        models.first { $0.name == name }
    }

    /// Rejects what would only fail later: duplicate names, a file whose name promises
    /// another checksum than the manifest says, or weights of the wrong shape.
    func validate() throws(ModelStoreError) {
        var seen = Set<String>()
        for model in models {
            guard seen.insert(model.name).inserted else { throw .invalidManifest("model '\(model.name)' is listed twice") }
            guard !model.files.isEmpty, !model.sources.isEmpty else {
                throw .invalidManifest("model '\(model.name)' needs at least one file and one source")
            }
            for file in model.files {
                let prefix = file.sha256Prefix
                guard file.name == URL(fileURLWithPath: file.name).lastPathComponent, !file.name.hasPrefix(".") else {
                    throw .invalidManifest("file '\(file.name)' of '\(model.name)' must be a plain file name")
                }
                guard prefix.count >= 8, prefix.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
                    throw .invalidManifest("file '\(file.name)': sha256Prefix '\(prefix)' is not 8 or more lowercase hex digits")
                }
                if let promised = ModelChecksum.expectedPrefix(forFileName: file.name), !prefix.hasPrefix(promised) {
                    throw .invalidManifest("file '\(file.name)' promises sha256 \(promised)… but the manifest says \(prefix)…")
                }
            }
            if let weights = model.weights,
                weights.count != model.files.count || weights.contains(where: { $0.count != model.sources.count })
            {
                throw .invalidManifest(
                    "model '\(model.name)': weights must be \(model.files.count) rows of \(model.sources.count)")
            }
        }
    }
}
