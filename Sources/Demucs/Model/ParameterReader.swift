/// Hands out a checkpoint's tensors by their PyTorch names while a model is built, and
/// records every tensor that is missing or has the wrong shape.
///
/// Building the model from its configuration is what defines the expected tensors, so
/// a checkpoint of another model is reported in full rather than at its first mismatch.
final class ParameterReader {
    private let tensors: [String: Tensor]
    /// Set when the reader makes up weights instead of reading them.
    private var generator: SplitMix64?
    private var used: Set<String> = []
    private(set) var problems: [String] = []

    init(tensors: [String: Tensor]) {
        self.tensors = tensors
    }

    /// A reader that answers every request with deterministic random values.
    init(randomSeed: UInt64) {
        tensors = [:]
        generator = SplitMix64(seed: randomSeed)
    }

    /// The tensor called `name`, which must have `shape`; zeros (and a recorded problem) otherwise.
    func tensor(_ name: String, _ shape: [Int]) -> Tensor {
        used.insert(name)
        if generator != nil { return randomTensor(name, shape) }
        guard let found = tensors[name] else {
            problems.append("missing tensor '\(name)' of shape \(shape)")
            return Tensor(zeros: shape)
        }
        guard found.shape == shape else {
            problems.append("tensor '\(name)' has shape \(found.shape); expected \(shape)")
            return Tensor(zeros: shape)
        }
        return found
    }

    /// Values shaped like PyTorch's default initialisation: weights uniform in ±1/√fan-in,
    /// norm gains near 1, small biases and LayerScales, so activations stay in range.
    /// Rounded to fp16, as published checkpoints store them.
    private func randomTensor(_ name: String, _ shape: [Int]) -> Tensor {
        let count = shape.reduce(1, *)
        let isMatrix = shape.count >= 2
        let (center, radius): (Float, Float) =
            if isMatrix && name.hasSuffix("embedding.weight") { (0, 1) }
            else if isMatrix { (0, 1 / Float(shape.dropFirst().reduce(1, *)).squareRoot()) }
            else if name.hasSuffix(".scale") { (0.1, 0.01) }
            else if name.hasSuffix("weight") { (1, 0.1) }
            else { (0, 0.05) }
        let values = (0..<count).map { _ in
            Float(Float16(center + radius * (2 * Float(generator!.next() >> 40) / Float(1 << 24) - 1)))
        }
        return Tensor(shape: shape, values: values)
    }

    /// The names present in the checkpoint that the model never asked for.
    var unexpectedNames: [String] {
        tensors.keys.filter { !used.contains($0) }.sorted()
    }

    /// Throws when any tensor was missing, mis-shaped or left over.
    func finish(model: String) throws {
        let all = problems + unexpectedNames.map { "unexpected tensor '\($0)'" }
        if !all.isEmpty { throw DemucsError.incompatibleWeights(model: model, problems: all) }
    }
}

/// Errors from building or running a model.
public enum DemucsError: Error, CustomStringConvertible, Equatable {
    /// The checkpoint's tensors do not fit the architecture its configuration describes.
    case incompatibleWeights(model: String, problems: [String])
    /// The configuration asks for a variant Demixer does not implement.
    case unsupportedConfiguration(String)
    /// A configuration value has the wrong type or an impossible value.
    case invalidConfiguration(key: String, reason: String)
    /// The input audio does not have the channel count the model expects.
    case wrongChannelCount(expected: Int, got: Int)

    public var description: String {
        switch self {
        case .incompatibleWeights(let model, let problems):
            let shown = problems.prefix(12).map { "  - \($0)" }.joined(separator: "\n")
            let more = problems.count > 12 ? "\n  … and \(problems.count - 12) more" : ""
            return "the checkpoint does not match the \(model) architecture it declares:\n\(shown)\(more)"
        case .unsupportedConfiguration(let what):
            return "unsupported model configuration: \(what)"
        case .invalidConfiguration(let key, let reason):
            return "invalid model configuration '\(key)': \(reason)"
        case .wrongChannelCount(let expected, let got):
            return "the model expects \(expected) audio channels, got \(got)"
        }
    }
}
