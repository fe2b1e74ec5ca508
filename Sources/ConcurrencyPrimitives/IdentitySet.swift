/// A set of object identities: an open-addressing table of addresses.
///
/// `wait` and `asCompleted` drop repeated futures, so they test every input
/// for membership. `Set<ObjectIdentifier>` hashes with SipHash, which costs
/// more than the rest of their per-future work; addresses need no defence
/// against crafted collisions, so a multiplicative hash suffices here.
@usableFromInline
package struct IdentitySet {
    private var slots: [UInt]
    private var mask: Int
    private var count = 0

    /// Creates a set with room for `capacity` identities without growing.
    @usableFromInline
    package init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: 0, count: size)
        mask = size - 1
    }

    /// Adds `object`'s identity.
    /// - Returns: `false` when it was already there.
    @usableFromInline
    package mutating func insert(_ object: AnyObject) -> Bool {
        // At most half full, so probes stay short and always end.
        if (count + 1) * 2 > slots.count { grow() }
        return insert(address: UInt(bitPattern: ObjectIdentifier(object).hashValue))
    }

    private mutating func insert(address: UInt) -> Bool {
        // Fibonacci hashing: the high bits of the product spread neighbouring
        // addresses; start the probe from them.
        var index = Int(truncatingIfNeeded: (address &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
        while true {
            let slot = slots[index]
            if slot == address { return false }
            if slot == 0 {
                slots[index] = address
                count += 1
                return true
            }
            index = (index + 1) & mask
        }
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: 0, count: old.count * 2)
        mask = slots.count - 1
        count = 0
        for address in old where address != 0 {
            _ = insert(address: address)
        }
    }
}
