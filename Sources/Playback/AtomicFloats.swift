import Synchronization

/// A fixed number of `Float`s that two threads share without locks, each stored as its
/// bit pattern in an `Atomic<UInt32>` (relaxed: every value stands on its own).
///
/// `@unchecked Sendable` because the atomics live in raw storage allocated once here:
/// every access goes through `Atomic`'s operations, and the storage outlives them all.
final class AtomicFloats: @unchecked Sendable {
    let count: Int
    private let words: UnsafeMutablePointer<Atomic<UInt32>>

    init(count: Int, value: Float = 0) {
        self.count = count
        words = .allocate(capacity: count)
        for i in 0..<count {
            (words + i).initialize(to: Atomic(value.bitPattern))
        }
    }

    deinit {
        words.deinitialize(count: count)
        words.deallocate()
    }

    subscript(index: Int) -> Float {
        get {
            precondition(index >= 0 && index < count, "index out of range")
            return Float(bitPattern: words[index].load(ordering: .relaxed))
        }
        set {
            precondition(index >= 0 && index < count, "index out of range")
            words[index].store(newValue.bitPattern, ordering: .relaxed)
        }
    }
}
