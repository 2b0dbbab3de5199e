import Foundation

/// An error reading a model file: which file, and what exactly is wrong with it.
///
/// Every refusal of a malformed or hostile file is one of these, so callers can
/// show `description` to the user and tests can match `problem`.
public struct ModelFileError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file's name (last path component).
    public let file: String
    /// What is wrong.
    public let problem: Problem

    public init(file: String, problem: Problem) {
        self.file = file
        self.problem = problem
    }

    public var description: String { "\(file): \(problem)" }

    /// The specific defect found in a model file.
    public enum Problem: Error, CustomStringConvertible, Sendable, Equatable {
        /// The file could not be read at all.
        case unreadable(String)
        /// The file ends before a structure it declares.
        case truncated(String)
        /// A zip structure is inconsistent.
        case malformedZip(String)
        /// A zip entry is compressed; torch.save stores entries uncompressed.
        case compressedEntry(name: String, method: Int)
        /// A zip entry name is absolute or climbs out with `..`.
        case unsafeEntryName(String)
        /// A zip entry's data runs past the end of the file.
        case entryOutOfBounds(String)
        /// A zip entry the checkpoint needs is absent.
        case missingEntry(String)
        /// The checkpoint was written on a big-endian machine.
        case unsupportedByteOrder(String)
        /// The pickle uses an opcode outside the restricted set.
        case unknownOpcode(UInt8, offset: Int)
        /// The pickle names a global outside the allow-list.
        case forbiddenGlobal(module: String, name: String)
        /// The pickle calls a global that may only be named.
        case forbiddenCall(String)
        /// A length field claims more bytes than remain.
        case lengthPastEnd(opcode: String, claimed: UInt64, remaining: Int)
        /// Nesting, stack or memo size went past the reader's limits.
        case limitExceeded(String)
        /// The pickle is structurally invalid.
        case malformedPickle(String)
        /// The unpickled value is not a demucs package or a state dict.
        case unexpectedLayout(String)
        /// A tensor's storage holds fewer bytes than its shape needs.
        case storageTooSmall(tensor: String, neededBytes: Int, availableBytes: Int)
        /// A tensor is not row-major contiguous.
        case nonContiguous(tensor: String, shape: [Int], stride: [Int])
        /// A tensor description is invalid (negative size, overflow, ...).
        case invalidTensor(tensor: String, reason: String)
        /// The safetensors header length is impossible.
        case badHeaderSize(UInt64)
        /// The safetensors JSON header is invalid.
        case malformedHeader(String)
        /// A safetensors tensor has a dtype other than F16, BF16, F32.
        case unsupportedDType(tensor: String, dtype: String)
        /// A safetensors tensor's data offsets fall outside the data section.
        case offsetsOutOfBounds(tensor: String, begin: Int, end: Int, dataSize: Int)
        /// Two safetensors tensors share bytes.
        case overlappingTensors(String, String)
        /// A safetensors tensor's byte length disagrees with its shape and dtype.
        case sizeMismatch(tensor: String, expectedBytes: Int, actualBytes: Int)
        /// A tensor name appears twice.
        case duplicateTensor(String)
        /// The tensors, up to and including `tensor`, would decode to more Float32 bytes
        /// than `DecodeBudget` allows for the file's size.
        case decodeBudgetExceeded(tensor: String, decodedBytes: Int, budgetBytes: Int)
        /// The file's sha256 does not start with the digits in its name.
        case checksumMismatch(expectedPrefix: String, actual: String)

        public var description: String {
            switch self {
            case .unreadable(let why):
                "cannot be read: \(why)"
            case .truncated(let what):
                "file is truncated: \(what)"
            case .malformedZip(let what):
                "malformed zip: \(what)"
            case .compressedEntry(let name, let method):
                "zip entry '\(name)' is compressed (method \(method)); torch.save stores entries uncompressed"
            case .unsafeEntryName(let name):
                "zip entry name '\(name)' is absolute or contains '..'"
            case .entryOutOfBounds(let name):
                "zip entry '\(name)' runs past the end of the file"
            case .missingEntry(let name):
                "zip entry '\(name)' is missing"
            case .unsupportedByteOrder(let order):
                "checkpoint byte order is '\(order)'; only little-endian checkpoints are supported"
            case .unknownOpcode(let op, let offset):
                "pickle opcode 0x\(String(op, radix: 16)) at byte \(offset) is not one a torch checkpoint uses"
            case .forbiddenGlobal(let module, let name):
                "pickle refers to global '\(module).\(name)', which a demucs checkpoint never contains"
            case .forbiddenCall(let name):
                "pickle calls '\(name)', which a checkpoint may only name, never call"
            case .lengthPastEnd(let opcode, let claimed, let remaining):
                "pickle \(opcode) claims \(claimed) bytes but only \(remaining) remain"
            case .limitExceeded(let what):
                "pickle exceeds a safety limit: \(what)"
            case .malformedPickle(let what):
                "malformed pickle: \(what)"
            case .unexpectedLayout(let what):
                "not a demucs checkpoint or state dict: \(what)"
            case .storageTooSmall(let tensor, let needed, let available):
                "tensor '\(tensor)' needs \(needed) bytes but its storage has \(available)"
            case .nonContiguous(let tensor, let shape, let stride):
                "tensor '\(tensor)' with shape \(shape) has stride \(stride), which is not contiguous"
            case .invalidTensor(let tensor, let reason):
                "tensor '\(tensor)' is invalid: \(reason)"
            case .badHeaderSize(let size):
                "safetensors header length \(size) is larger than the file or 100 MB"
            case .malformedHeader(let what):
                "malformed safetensors header: \(what)"
            case .unsupportedDType(let tensor, let dtype):
                "tensor '\(tensor)' has dtype \(dtype); only F16, BF16 and F32 are supported"
            case .offsetsOutOfBounds(let tensor, let begin, let end, let dataSize):
                "tensor '\(tensor)' data offsets [\(begin), \(end)) are outside the \(dataSize)-byte data section"
            case .overlappingTensors(let first, let second):
                "tensors '\(first)' and '\(second)' overlap"
            case .sizeMismatch(let tensor, let expected, let actual):
                "tensor '\(tensor)' needs \(expected) bytes for its shape and dtype but has \(actual)"
            case .duplicateTensor(let name):
                "tensor name '\(name)' appears more than once"
            case .decodeBudgetExceeded(let tensor, let decoded, let budget):
                "tensors up to '\(tensor)' decode to \(decoded) bytes, more than the \(budget) bytes"
                    + " (\(DecodeBudget.maxBytesPerFileByte)× the file size) a model file may expand to"
            case .checksumMismatch(let expected, let actual):
                "sha256 is \(actual) but the file name says it starts with \(expected)"
            }
        }
    }
}

/// Maps `url` into memory and runs `body` over its bytes, tagging any `Problem`
/// thrown with the file's name.
func withModelFile<T>(
    _ url: URL, _ body: (UnsafeRawBufferPointer) throws(ModelFileError.Problem) -> T
) throws(ModelFileError) -> T {
    let file = url.lastPathComponent
    let data: Data
    do {
        data = try Data(contentsOf: url, options: .alwaysMapped)
    } catch {
        throw ModelFileError(file: file, problem: .unreadable(error.localizedDescription))
    }
    let result: Result<T, ModelFileError.Problem> = data.withUnsafeBytes { raw in
        Result { () throws(ModelFileError.Problem) -> T in try body(raw) }
    }
    do {
        return try result.get()
    } catch {
        throw ModelFileError(file: file, problem: error)
    }
}
