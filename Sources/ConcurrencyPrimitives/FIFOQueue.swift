/// A first-in, first-out queue with amortized O(1) removal from the front.
package struct FIFOQueue<Element> {
    private var storage: [Element] = []
    private var head = 0

    package init() {}

    package var count: Int { storage.count - head }
    package var isEmpty: Bool { head == storage.count }

    package mutating func append(_ element: Element) {
        storage.append(element)
    }

    /// Removes and returns up to `limit` elements from the front.
    package mutating func removeFirst(upTo limit: Int) -> [Element] {
        let end = head + Swift.min(limit, count)
        let taken = Array(storage[head..<end])
        head = end
        compactIfSparse()
        return taken
    }

    /// Removes and returns every element.
    package mutating func removeAll() -> [Element] {
        let taken = Array(storage[head...])
        storage.removeAll(keepingCapacity: true)
        head = 0
        return taken
    }

    private mutating func compactIfSparse() {
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 1024 && head * 2 > storage.count {
            storage.removeFirst(head)
            head = 0
        }
    }
}
