/// A first-in, first-out queue with amortized O(1) removal from the front.
///
/// Inlinable so that users in other modules get it specialized: generic code
/// that runs unspecialized looks up `Array<Element>` metadata on every call.
@frozen
package struct FIFOQueue<Element> {
    @usableFromInline var storage: [Element] = []
    @usableFromInline var head = 0

    @inlinable package init() {}

    @inlinable package var count: Int { storage.count - head }
    @inlinable package var isEmpty: Bool { head == storage.count }

    @inlinable package mutating func append(_ element: Element) {
        storage.append(element)
    }

    @inlinable package mutating func append(contentsOf elements: [Element]) {
        storage.append(contentsOf: elements)
    }

    /// Moves up to `limit` elements from the front to the end of `buffer`,
    /// so a consumer can reuse one buffer instead of allocating per call.
    @inlinable package mutating func removeFirst(upTo limit: Int, into buffer: inout [Element]) {
        let end = head + Swift.min(limit, count)
        buffer.append(contentsOf: storage[head..<end])
        head = end
        compactIfSparse()
    }

    /// Removes and returns every element.
    @inlinable package mutating func removeAll() -> [Element] {
        let taken = Array(storage[head...])
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
