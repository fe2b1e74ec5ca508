/// A set of object identities: an open-addressing table of addresses.
///
/// `wait` and `asCompleted` drop repeated futures, so they test every input
/// for membership. `Set<ObjectIdentifier>` hashes with SipHash, which costs
/// more than the rest of their per-future work; addresses need no defence
/// against crafted collisions.
///
/// The slot is the address (in 16-byte units) modulo a prime table size.
/// Objects allocated one after another, as futures from one loop are, land
/// in neighbouring slots, so a million inserts walk the table almost in
/// order instead of missing the cache on each one (a scattering hash did,
/// and cost 2–4× per future at n = 1M). The prime keeps any regular stride
/// of addresses (page-aligned objects, say) from piling into a few slots.
public struct IdentitySet {
    private var slots: [UInt]
    private var count = 0

    /// Creates a set with room for `capacity` identities without growing.
    public init(capacity: Int) {
        slots = Array(repeating: 0, count: Self.prime(atLeast: Swift.max(16, capacity * 2)))
    }

    /// The smallest prime not below `lowerBound`.
    private static func prime(atLeast lowerBound: Int) -> Int {
        var candidate = lowerBound | 1
        while true {
            var divisor = 3
            var isPrime = true
            while divisor * divisor <= candidate {
                if candidate % divisor == 0 {
                    isPrime = false
                    break
                }
                divisor += 2
            }
            if isPrime { return candidate }
            candidate += 2
        }
    }

    /// Adds `object`'s identity.
    /// - Returns: `false` when it was already there.
    public mutating func insert(_ object: AnyObject) -> Bool {
        // At most half full, so probes stay short and always end.
        if (count + 1) * 2 > slots.count { grow() }
        return insert(address: UInt(bitPattern: ObjectIdentifier(object)))
    }

    private mutating func insert(address: UInt) -> Bool {
        let size = slots.count
        var index = Int(truncatingIfNeeded: (address >> 4) % UInt(size))
        while true {
            let slot = slots[index]
            if slot == address { return false }
            if slot == 0 {
                slots[index] = address
                count += 1
                return true
            }
            index += 1
            if index == size { index = 0 }
        }
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: 0, count: Self.prime(atLeast: old.count * 2))
        count = 0
        for address in old where address != 0 {
            _ = insert(address: address)
        }
    }
}
