/// A fixed set of locks with conditions, shared by every object that needs to
/// park a thread only rarely.
///
/// A future is waited on or given callbacks far less often than it is
/// created and completed, so it does not own a lock: its fast paths are
/// atomic, and the slow ones (parking a reader, storing a callback) borrow
/// the stripe its address selects. Two objects on one stripe only cost each
/// other a spurious wake-up; every waiter re-checks its own condition.
public enum ParkingLot {
    private static let stripeBits = 6
    /// Each stripe counts the wake-ups issued on it. The count is also what
    /// keeps the state from being `Void`: ThreadSanitizer (Swift 6.3, Linux)
    /// reports every locked access to a zero-sized state as a race with the
    /// unlocked reads in `broadcast`.
    private static let stripes: [ConditionLock<UInt64>] = (0..<(1 << stripeBits)).map { _ in ConditionLock(0) }

    /// The stripe that guards `object`'s slow paths.
    @inline(__always)
    public static func stripe(for object: AnyObject) -> ConditionLock<UInt64> {
        // Objects are 16-byte aligned: drop the bits every address shares,
        // then mix, so neighbours from one allocation burst spread out.
        let address = UInt(bitPattern: ObjectIdentifier(object)) >> 4
        let mixed = address &* 0x9E37_79B9_7F4A_7C15
        return stripes[Int(truncatingIfNeeded: mixed >> (UInt.bitWidth - stripeBits))]
    }
}
