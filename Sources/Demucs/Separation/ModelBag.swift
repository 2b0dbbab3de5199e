/// One or more HT Demucs models whose estimates are averaged per stem with weights
/// (demucs's `BagOfModels`; `htdemucs_ft` is four models, each trusted for one stem).
public struct ModelBag: Sendable {
    public let models: [HTDemucs]
    /// `weights[model][source]`.
    public let weights: [[Float]]

    /// A bag; `weights` defaults to all ones. Every model must share sources, sample rate
    /// and channel count, and each weight row must have one entry per source, finite and
    /// not negative.
    public init(models: [HTDemucs], weights: [[Float]]? = nil) throws {
        guard let first = models.first else {
            throw DemucsError.invalidConfiguration(key: "models", reason: "a bag needs at least one model")
        }
        for model in models {
            if model.config.sources != first.config.sources || model.config.sampleRate != first.config.sampleRate
                || model.config.audioChannels != first.config.audioChannels
            {
                throw DemucsError.invalidConfiguration(
                    key: "models", reason: "the models of a bag must share sources, sample rate and channels")
            }
        }
        let weights = weights ?? models.map { _ in [Float](repeating: 1, count: first.sourceCount) }
        guard weights.count == models.count, weights.allSatisfy({ $0.count == first.sourceCount }) else {
            throw DemucsError.invalidConfiguration(
                key: "weights", reason: "expected \(models.count) rows of \(first.sourceCount) weights")
        }
        if let bad = weights.joined().first(where: { !($0.isFinite && $0 >= 0) }) {
            throw DemucsError.invalidConfiguration(key: "weights", reason: "\(bad) is not a finite, non-negative weight")
        }
        for k in 0..<first.sourceCount where weights.reduce(0, { $0 + $1[k] }) == 0 {
            throw DemucsError.invalidConfiguration(
                key: "weights", reason: "source '\(first.config.sources[k])' has zero total weight")
        }
        self.models = models
        self.weights = weights
    }

    /// A bag of one model with unit weights.
    public init(_ model: HTDemucs) {
        models = [model]
        weights = [[Float](repeating: 1, count: model.sourceCount)]
    }

    public var sources: [String] { models[0].config.sources }
    public var sampleRate: Int { models[0].config.sampleRate }
    public var audioChannels: Int { models[0].config.audioChannels }
    /// The shortest training segment of the bag, in samples.
    public var segmentLength: Int { models.map(\.config.segmentLength).min()! }
}
