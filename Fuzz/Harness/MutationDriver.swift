import Foundation

/// A deterministic mutator: the n-th input of a pass is a function of (seed, n) alone, so a pass
/// is reproducible input by input (`FuzzPass.input(_:)`), on any machine.
///
/// Each input starts from a seed-corpus entry and applies 1–8 mutations: bit flips, random or
/// boundary bytes, boundary integers (0, −1, 2³¹, 2⁶³ − 1, … in both byte orders) over any
/// header field, inserted / deleted / duplicated ranges, splices with another entry, truncation,
/// and — for text — inserted YAML tokens, long digit runs and deep nesting.
public struct MutationDriver {
    public let corpus: [Data]
    public let seed: UInt64
    public let textual: Bool

    public init(corpus: [Data], seed: UInt64, textual: Bool) {
        precondition(!corpus.isEmpty, "a mutation driver needs a seed corpus")
        self.corpus = corpus
        self.seed = seed
        self.textual = textual
    }

    /// SplitMix64: a tiny, well-mixed generator with explicit state.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ bound: Int) -> Int { bound <= 1 ? 0 : Int(next() % UInt64(bound)) }
    }

    static let boundaryIntegers: [UInt64] = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF,
                                             1 << 32, 1 << 40, 0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, UInt64.max, 3037000500]
    static let tokens = ["[", "]", "{", "}", ":", ": ", "- ", ",", "\n", "\n  ", "'", "\"", "&a ", "*a", "!!str ", "---\n", "#", "~",
                         "-1", "1e309", "nan", "0x10", "99999999999999999999", "name", "strategy", "budget", "steps", "tasks", "role",
                         "auxiliary", "primary", "milestones", "schedule: stepwise", "labels", ".", "=", "\t", "\u{0}", "é", "\u{FEFF}"]

    /// Input `index` of the pass.
    public func input(_ index: Int) -> Data {
        var generator = Generator(state: seed ^ (UInt64(index) &* 0xD1B5_4A32_D192_ED03))
        var bytes = [UInt8](corpus[generator.below(corpus.count)])
        let count = 1 + generator.below(8)
        for _ in 0..<count { mutate(&bytes, &generator) }
        return Data(bytes)
    }

    func mutate(_ bytes: inout [UInt8], _ g: inout Generator) {
        let choice = g.below(textual ? 14 : 11)
        let position = g.below(bytes.count + 1)
        switch choice {
        case 0 where !bytes.isEmpty:  // flip a bit
            bytes[min(position, bytes.count - 1)] ^= UInt8(1 << g.below(8))
        case 1 where !bytes.isEmpty:  // a random byte
            bytes[min(position, bytes.count - 1)] = UInt8(truncatingIfNeeded: g.next())
        case 2 where !bytes.isEmpty:  // a boundary byte
            bytes[min(position, bytes.count - 1)] = [0, 1, 0x7F, 0x80, 0xFF, 0x20, 0x0A][g.below(7)]
        case 3:  // a boundary integer, 1/2/4/8 bytes, either byte order
            let width = [1, 2, 4, 8][g.below(4)]
            var value = Self.boundaryIntegers[g.below(Self.boundaryIntegers.count)]
            if g.below(4) == 0 { value = value &- 1 }
            var encoded = (0..<width).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
            if g.below(2) == 0 { encoded.reverse() }
            for (k, byte) in encoded.enumerated() where position + k < bytes.count { bytes[position + k] = byte }
        case 4:  // insert random bytes
            bytes.insert(contentsOf: (0..<(1 + g.below(16))).map { _ in UInt8(truncatingIfNeeded: g.next()) }, at: position)
        case 5 where !bytes.isEmpty:  // delete a range
            let length = 1 + g.below(min(64, bytes.count))
            let start = min(position, bytes.count - length)
            bytes.removeSubrange(start..<(start + length))
        case 6 where !bytes.isEmpty:  // duplicate a range
            let length = 1 + g.below(min(128, bytes.count))
            let start = g.below(bytes.count - length + 1)
            bytes.insert(contentsOf: bytes[start..<(start + length)], at: position)
        case 7:  // splice with another corpus entry
            let other = [UInt8](corpus[g.below(corpus.count)])
            let cut = g.below(other.count + 1)
            bytes = Array(bytes.prefix(position)) + other.suffix(from: cut)
        case 8:  // truncate
            bytes = Array(bytes.prefix(position))
        case 9 where !bytes.isEmpty:  // overwrite with ASCII digits (text headers hold numbers)
            let digits = String(g.next() >> UInt64(g.below(64)))
            for (k, byte) in digits.utf8.enumerated() where position + k < bytes.count { bytes[position + k] = byte }
        case 10 where bytes.count > 1:  // swap two bytes
            let other = g.below(bytes.count)
            bytes.swapAt(min(position, bytes.count - 1), other)
        case 11:  // a YAML token
            bytes.insert(contentsOf: Array(Self.tokens[g.below(Self.tokens.count)].utf8), at: position)
        case 12:  // deep or long structure
            let unit = ["[", "{a: ", "- ", "  "][g.below(4)]
            bytes.insert(contentsOf: Array(String(repeating: unit, count: 1 + g.below(200)).utf8), at: position)
        case 13:  // repeat a line
            let text = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
            if !text.isEmpty {
                let line = text[g.below(text.count)]
                bytes.insert(contentsOf: Array(line) + [0x0A], at: min(position, bytes.count))
            }
        default:
            bytes.insert(UInt8(truncatingIfNeeded: g.next()), at: position)
        }
    }
}

/// The result of a deterministic pass over one reader.
public struct FuzzReport: CustomStringConvertible, Sendable {
    public var reader: FuzzReader
    public var inputs = 0
    public var accepted = 0
    public var rejected = 0
    /// Rejections whose message does not name the file (index and message).
    public var unnamed: [(Int, String)] = []
    /// The slowest input and its time, for spotting near-hangs (reported, never asserted).
    public var slowest: (index: Int, seconds: Double) = (0, 0)
    public var seconds = 0.0

    public var description: String {
        String(format: "%@: %d inputs, %d accepted, %d rejected, %d unnamed rejections, 0 crashes; slowest input #%d %.3f s; %.2f s total",
               reader.rawValue, inputs, accepted, rejected, unnamed.count, slowest.index, slowest.seconds, seconds)
    }
}

/// Runs a reader over the seed corpus and `count` mutated inputs. A crash ends the process (and
/// with it the test or the CI job); a hang never returns.
public enum FuzzPass {
    public static func run(_ reader: FuzzReader, count: Int, seed: UInt64 = 0x7A6E_D3) throws -> FuzzReport {
        let corpus = try FuzzSeeds.seeds(for: reader)
        let driver = MutationDriver(corpus: corpus, seed: seed ^ UInt64(reader.rawValue.hashValueStable), textual: reader == .recipe)
        var report = FuzzReport(reader: reader)
        let started = Date()
        for index in -corpus.count..<count {
            let data = index < 0 ? corpus[index + corpus.count] : driver.input(index)
            let begin = Date()
            switch reader.read(data) {
            case .accepted: report.accepted += 1
            case .rejected: report.rejected += 1
            case let .unnamed(message): report.rejected += 1; report.unnamed.append((index, message))
            }
            let elapsed = Date().timeIntervalSince(begin)
            if elapsed > report.slowest.seconds { report.slowest = (index, elapsed) }
            report.inputs += 1
        }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }
}

extension String {
    /// A hash that is the same in every process (Swift's `hashValue` is seeded per run).
    var hashValueStable: UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return hash
    }
}
