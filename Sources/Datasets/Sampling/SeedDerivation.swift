import TandemCore

/// Deterministic per-item random streams: item `index` of a data set with seed `seed` gets its own
/// generator derived from (`seed`, `index`, `salt`) only — never from a running stream — so any
/// item can be produced alone, in any order, on any thread, with identical results.
public enum SeedDerivation {
    /// Salts keeping the independent uses of one (seed, index) pair apart.
    public enum Salt: UInt64, Sendable {
        case scene = 1
        case imageNoise = 2
        case labelCorruption = 3
        case shuffle = 4
        case composition = 5
        case partition = 6
        case taskGroupsStructure = 7
        case taskGroupsSample = 8
        case unrelatedScene = 9
        case augmentation = 10
    }

    /// A 64-bit seed mixing `seed`, `index` and `salt` (SplitMix64 finaliser, integer arithmetic only).
    public static func seed(_ seed: UInt64, index: UInt64, salt: UInt64) -> UInt64 {
        var z = mix(seed &+ 0x9E37_79B9_7F4A_7C15)
        z = mix(z ^ (index &* 0xBF58_476D_1CE4_E5B9))
        z = mix(z ^ (salt &* 0x94D0_49BB_1331_11EB))
        return z
    }

    /// The generator for item `index` of the set seeded with `seed`.
    public static func generator(_ seed: UInt64, index: Int, salt: Salt) -> SeededGenerator {
        SeededGenerator(seed: Self.seed(seed, index: UInt64(truncatingIfNeeded: index), salt: salt.rawValue))
    }

    /// The generator for item `index` under an extra numeric salt (e.g. a task's position).
    public static func generator(_ seed: UInt64, index: Int, salt: Salt, subsalt: UInt64) -> SeededGenerator {
        SeededGenerator(seed: Self.seed(Self.seed(seed, index: UInt64(truncatingIfNeeded: index), salt: salt.rawValue),
                                        index: subsalt, salt: 0))
    }

    @inline(__always) static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension SeededGenerator {
    /// A uniform `Double` in `range`.
    mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * nextUniformDouble()
    }

    /// A uniform integer in `range` (unbiased, via rejection).
    mutating func integer(in range: ClosedRange<Int>) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound) + 1
        return range.lowerBound + Int(bounded(span))
    }

    /// A uniform integer in `0..<bound` (unbiased, via rejection); bound ≥ 1.
    mutating func bounded(_ bound: UInt64) -> UInt64 {
        precondition(bound > 0)
        let limit = UInt64.max - UInt64.max % bound
        while true {
            let value = next()
            if value < limit { return value % bound }
        }
    }
}
