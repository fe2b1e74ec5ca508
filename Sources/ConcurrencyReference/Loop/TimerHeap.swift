/// The loop's timers: a binary min-heap of plain values ordered by deadline,
/// then by scheduling sequence, so that equal deadlines run first in, first
/// out (LOOP-004). The callbacks live in a slot table beside the heap; heap
/// moves shuffle three integers, never retain or release a reference.
struct TimerHeap {
    private struct Entry {
        var deadline: Int64
        var sequence: UInt64
        var slot: Int32

        func precedes(_ other: Entry) -> Bool {
            deadline != other.deadline ? deadline < other.deadline : sequence < other.sequence
        }
    }

    private var heap: [Entry] = []
    private var slots: [LoopCallbackHandle?] = []
    private var freeSlots: [Int32] = []
    private var nextSequence: UInt64 = 0

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }

    /// The earliest deadline, in loop nanoseconds, after dropping cancelled
    /// timers from the top.
    mutating func earliestDeadline() -> Int64? {
        while let top = heap.first {
            if slots[Int(top.slot)]!.isCancelled {
                _ = popTop()
            } else {
                return top.deadline
            }
        }
        return nil
    }

    mutating func insert(_ handle: LoopCallbackHandle, deadline: Int64) {
        let slot: Int32
        if let free = freeSlots.popLast() {
            slot = free
            slots[Int(slot)] = handle
        } else {
            slot = Int32(slots.count)
            slots.append(handle)
        }
        heap.append(Entry(deadline: deadline, sequence: nextSequence, slot: slot))
        nextSequence &+= 1
        siftUp(heap.count - 1)
    }

    /// Removes and returns the earliest timer when it is due by `limit`.
    mutating func popDue(by limit: Int64) -> LoopCallbackHandle? {
        guard let top = heap.first, top.deadline <= limit else { return nil }
        return popTop()
    }

    /// Removes every timer, for `close()`.
    mutating func removeAll() {
        heap.removeAll()
        slots.removeAll()
        freeSlots.removeAll()
    }

    private mutating func popTop() -> LoopCallbackHandle {
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
        let handle = slots[Int(top.slot)]!
        slots[Int(top.slot)] = nil
        freeSlots.append(top.slot)
        return handle
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        let entry = heap[child]
        while child > 0 {
            let parent = (child - 1) / 2
            guard entry.precedes(heap[parent]) else { break }
            heap[child] = heap[parent]
            child = parent
        }
        heap[child] = entry
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        let entry = heap[parent]
        let count = heap.count
        while true {
            var child = 2 * parent + 1
            guard child < count else { break }
            if child + 1 < count, heap[child + 1].precedes(heap[child]) { child += 1 }
            guard heap[child].precedes(entry) else { break }
            heap[parent] = heap[child]
            parent = child
        }
        heap[parent] = entry
    }
}
