import ConcurrencyPrimitives
import Testing

/// The package-internal building blocks that the reference and the contract
/// algorithms share.
@Suite("Primitives")
struct PrimitivesTests {
    final class Object {}

    // `wait` and `asCompleted` rely on this set to drop repeated futures: it
    // must grow past the capacity it was given and never confuse two objects.
    @Test func identitySetGrowsAndTellsObjectsApart() {
        let objects = (0..<5_000).map { _ in Object() }
        var set = IdentitySet(capacity: 1)
        let allNew = objects.allSatisfy { set.insert($0) }
        let allRepeated = objects.allSatisfy { !set.insert($0) }
        let stranger = set.insert(Object())
        #expect(allNew)
        #expect(allRepeated)
        #expect(stranger)
    }

    // The pool queues its futures here: a future taken by a worker must not
    // stay referenced by the queue (with its value) until the queue drains.
    @Test func fifoQueueDropsWhatItHandsOut() {
        var queue = FIFOQueue<Object>()
        weak var first: Object?
        do {
            let object = Object()
            first = object
            queue.append(object)
        }
        for _ in 0..<10 { queue.append(Object()) }
        var taken: [Object] = []
        queue.removeFirst(upTo: 1, into: &taken)
        #expect(first != nil)
        taken.removeAll()
        #expect(first == nil)
        #expect(queue.count == 10)
    }

    @Test func fifoQueueHandsOutInOrderAcrossCompaction() {
        var queue = FIFOQueue<Int>()
        var taken: [Int] = []
        var appendedLater: [Int] = []
        for value in 0..<3_000 { queue.append(value) }
        // Removal compacts the storage once the head passes 1,024; values
        // appended meanwhile must still come out after the older ones.
        while !queue.isEmpty {
            queue.removeFirst(upTo: 7, into: &taken)
            if taken.count % 70 == 0 {
                appendedLater.append(10_000 + taken.count)
                queue.append(10_000 + taken.count)
            }
        }
        #expect(!appendedLater.isEmpty)
        #expect(taken == Array(0..<3_000) + appendedLater)
    }
}
