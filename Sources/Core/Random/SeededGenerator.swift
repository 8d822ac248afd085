/// A deterministic pseudo-random generator (xoshiro256**, seeded through SplitMix64).
///
/// Tandem never uses global randomness: every component that needs random numbers takes a
/// `SeededGenerator` explicitly, so the same seed gives the same numbers on every machine.
/// The whole state is four `UInt64` words, which makes it trivial to checkpoint.
public struct SeededGenerator: RandomNumberGenerator, Codable, Equatable, Sendable {
    public private(set) var state: [UInt64]

    /// Creates a generator whose sequence is fully determined by `seed`.
    public init(seed: UInt64) {
        var mixer = seed
        var words = [UInt64]()
        for _ in 0..<4 {
            mixer &+= 0x9E37_79B9_7F4A_7C15
            var z = mixer
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            words.append(z ^ (z >> 31))
        }
        state = words
    }

    /// Restores a generator from a saved `state` (four words).
    public init(state: [UInt64]) {
        precondition(state.count == 4, "SeededGenerator state has four words")
        self.state = state
    }

    public mutating func next() -> UInt64 {
        let result = rotateLeft(state[1] &* 5, by: 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = rotateLeft(state[3], by: 45)
        return result
    }

    /// A uniform value in [0, 1) with 24 random bits.
    public mutating func nextUniform() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A uniform value in [0, 1) with 53 random bits.
    public mutating func nextUniformDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// A standard normal value (Box–Muller; one value per call, deterministic).
    public mutating func nextNormal() -> Float {
        var u1 = nextUniformDouble()
        if u1 < 1e-300 { u1 = 1e-300 }
        let u2 = nextUniformDouble()
        return Float((-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2))
    }

    /// A generator for an independent stream, derived from this one's next output and `salt`.
    public mutating func split(salt: UInt64 = 0) -> SeededGenerator {
        SeededGenerator(seed: next() ^ (salt &* 0xD6E8_FEB8_6659_FD93))
    }

    private func rotateLeft(_ x: UInt64, by k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}

@inline(__always) func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Foundation.cos(x) }

import Foundation
