import Synchronization

/// A value shared between threads behind a mutex; a class so that closures on other
/// queues can hold it.
public final class Guarded<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    public init(_ value: Value) {
        mutex = Mutex(value)
    }

    public func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        mutex.withLock { body(&$0) }
    }
}
