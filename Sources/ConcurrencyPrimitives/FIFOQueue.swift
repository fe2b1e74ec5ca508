/// A first-in, first-out queue with amortized O(1) removal from the front.
///
/// Inlinable, and public rather than `package`, so that users in other
/// modules get it specialized: Swift 6.3 calls the unspecialized copy of an
/// `@inlinable package` method from other modules, and generic code that
/// runs unspecialized looks up `Array<Element>` metadata on every call (a
/// fifth of a thread-pool job's cost, measured).
@frozen
public struct FIFOQueue<Element> {
    /// Slots already handed out hold `nil`: the thread pool queues its
    /// futures here, and a slot that kept a taken future until the queue
    /// emptied would keep the future and its value alive after the caller
    /// had dropped it (and move that deallocation to whoever drains last).
    @usableFromInline var storage: [Element?] = []
    @usableFromInline var head = 0

    @inlinable public init() {}

    @inlinable public var count: Int { storage.count - head }
    @inlinable public var isEmpty: Bool { head == storage.count }

    @inlinable public mutating func append(_ element: Element) {
        storage.append(element)
    }

    @inlinable public mutating func append(contentsOf elements: [Element]) {
        // One at a time: `reserveCapacity` would grow the storage to the
        // exact size on every call, copying it each time.
        for element in elements { storage.append(element) }
    }

    /// Moves up to `limit` elements from the front to the end of `buffer`,
    /// so a consumer can reuse one buffer instead of allocating per call.
    @inlinable public mutating func removeFirst(upTo limit: Int, into buffer: inout [Element]) {
        let start = head
        let end = head + Swift.min(limit, count)
        storage.withUnsafeMutableBufferPointer { slots in
            // Move each element out and leave `nil`: no retain and release
            // per element.
            let base = slots.baseAddress!
            for index in start..<end {
                buffer.append((base + index).move().unsafelyUnwrapped)
                (base + index).initialize(to: nil)
            }
        }
        head = end
        compactIfSparse()
    }

    /// The first element, left in place; `nil` when empty.
    @inlinable public var first: Element? {
        head < storage.count ? storage[head] : nil
    }

    /// Removes and returns the first element, or `nil` when empty.
    @inlinable public mutating func popFirst() -> Element? {
        guard head < storage.count else { return nil }
        let element = storage.withUnsafeMutableBufferPointer { slots in
            // Moved out, not copied: the queue keeps no reference behind.
            let slot = slots.baseAddress! + head
            let element = slot.move()
            slot.initialize(to: nil)
            return element
        }
        head += 1
        compactIfSparse()
        return element
    }

    /// Removes and returns every element.
    @inlinable public mutating func removeAll() -> [Element] {
        let taken = storage[head...].map { $0.unsafelyUnwrapped }
        storage.removeAll(keepingCapacity: true)
        head = 0
        return taken
    }

    @inlinable mutating func compactIfSparse() {
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 1024 && head * 2 > storage.count {
            storage.removeFirst(head)
            head = 0
        }
    }
}
