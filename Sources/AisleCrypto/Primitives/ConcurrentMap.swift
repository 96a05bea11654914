import Dispatch

extension Array where Element: Sendable {
    /// `transform` of each element, in order, computed on every core: for checking many
    /// signatures at once (a batch of envelopes, the certificates a node kept). With
    /// `DispatchQueue.concurrentPerform`, not child tasks: the calling thread takes part and takes
    /// each next element no other thread has taken, so the work does not wait for a cooperative
    /// thread that is busy or blocked (a task group's slices then ran one after another, slower
    /// than a loop).
    public func concurrentMap<Transformed: Sendable>(_ transform: @Sendable (Element) -> Transformed) -> [Transformed] {
        guard count > 1 else { return map(transform) }
        let slots = Slots<Transformed>(count: count)
        DispatchQueue.concurrentPerform(iterations: count) { index in slots[index] = transform(self[index]) }
        return slots.collected
    }
}

/// One slot per element of a ``Swift/Array/concurrentMap(_:)``, each written by exactly one
/// iteration of `concurrentPerform` and read after it returns, hence unchecked.
private final class Slots<Element>: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<Element?>

    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    subscript(index: Int) -> Element? {
        get { slots[index] }
        set { slots[index] = newValue }
    }

    /// Every slot's element, once all are written.
    var collected: [Element] { slots.map { $0! } }
}
