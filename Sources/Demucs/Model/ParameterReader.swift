/// Hands out a checkpoint's tensors by their PyTorch names while a model is built, and
/// records every tensor that is missing or has the wrong shape.
///
/// Building the model from its configuration is what defines the expected tensors, so
/// a checkpoint of another model is reported in full rather than at its first mismatch.
final class ParameterReader {
    private let tensors: [String: Tensor]
    private var used: Set<String> = []
    private(set) var problems: [String] = []

    init(tensors: [String: Tensor]) {
        self.tensors = tensors
    }

    /// The tensor called `name`, which must have `shape`; zeros (and a recorded problem) otherwise.
    func tensor(_ name: String, _ shape: [Int]) -> Tensor {
        used.insert(name)
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
