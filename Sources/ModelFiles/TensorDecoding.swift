/// A tensor whose description has been validated but whose bytes are not yet decoded.
struct PlannedTensor {
    let name: String
    let shape: [Int]
    let type: ElementType
    /// Where its values lie in the file; `shape`'s element count times `type.byteSize` bytes.
    let bytes: Range<Int>
}

/// Tensors that read the same bytes as the same type share one decoded array.
private struct DecodedBytes: Hashable {
    let bytes: Range<Int>
    let type: ElementType
}

/// How much Float32 a model file may decode to, relative to its own size.
enum DecodeBudget {
    /// fp16 and bf16 widen 2× to Float32, so a file whose tensors each use their own
    /// bytes never decodes to more than twice its size (an 84 MB htdemucs file: 168 MB).
    /// The other 2× leaves room for views that legitimately share bytes; beyond that, a
    /// small file could name the same bytes thousands of times and take all memory.
    static let maxBytesPerFileByte = 4
}

/// Decodes `tensors` from `file` after checking, before decoding anything, that the
/// distinct byte ranges they read stay within `DecodeBudget`. Views of identical bytes
/// are decoded once and share their values.
func decode(_ tensors: [PlannedTensor], from file: UnsafeRawBufferPointer) throws(ModelFileError.Problem)
    -> [String: StoredTensor]
{
    let budget = file.count * DecodeBudget.maxBytesPerFileByte
    var counted = Set<DecodedBytes>()
    var total = 0
    for tensor in tensors where counted.insert(DecodedBytes(bytes: tensor.bytes, type: tensor.type)).inserted {
        total += tensor.bytes.count / tensor.type.byteSize * MemoryLayout<Float>.size
        guard total <= budget else {
            throw .decodeBudgetExceeded(tensor: tensor.name, decodedBytes: total, budgetBytes: budget)
        }
    }
    var decoded: [DecodedBytes: [Float]] = [:]
    var result: [String: StoredTensor] = [:]
    for tensor in tensors {
        let key = DecodedBytes(bytes: tensor.bytes, type: tensor.type)
        let values = decoded[key] ?? floats(from: UnsafeRawBufferPointer(rebasing: file[tensor.bytes]), as: tensor.type)
        decoded[key] = values
        result[tensor.name] = StoredTensor(shape: tensor.shape, values: values, sourceType: tensor.type)
    }
    return result
}
