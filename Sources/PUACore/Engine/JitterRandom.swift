import Synchronization

/// Jitter for refresh spreading and retry backoff: SplitMix64, each instance starting at a scrambled point
/// of a process-wide seed (one system random draw per process instead of a `getrandom` call per value; a
/// million recovered publications each get their own generator). Not for anything secret.
public struct JitterRandom: RandomNumberGenerator, Sendable {
    private static let seed: UInt64 = {
        var system = SystemRandomNumberGenerator()
        return system.next()
    }()
    private static let instances = Atomic<UInt64>(0)
    private var state: UInt64

    public init() {
        let instance = Self.instances.add(1, ordering: .relaxed).newValue
        state = Self.mix(Self.seed ^ Self.mix(instance))
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
