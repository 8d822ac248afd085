import Foundation
import TandemCore

/// MultiMNIST / MultiFashion as composed by Sener & Koltun (NeurIPS 2018, "Multi-Task Learning as
/// Multi-Objective Optimization"): each image `i` of the source is put at the top-left of a 36×36
/// canvas (rows and columns 0…27) and a partner image at the bottom-right (6…33); where they overlap
/// the canvas takes the maximum. Tasks `left` and `right` are the two digits' classes. The canvas is
/// optionally resized to 28×28 (nearest neighbour, as their original `imresize(..., 'nearest')`).
///
/// Two pairings:
/// - whole source (`init(source:seed:resize:name:)`, Sener & Koltun's): example `i` puts source image
///   `i` on the left and a partner drawn uniformly from the whole source (by a generator derived
///   from (`seed`, `i`)) on the right. Splitting these pairs afterwards can put a test digit into a
///   training pair.
/// - within split (`init(source:pools:seed:resize:name:)`): the source digits are first cut into
///   disjoint pools (a seeded permutation), and each split's pairs are composed from its own pool
///   only, both digits, so as many pairs as wanted (e.g. Fifty et al.'s 100,000 an epoch) come from
///   a few thousand training digits and no validation or test digit is ever trained on.
///
/// Pairs are index pairs; the canvases are composed when an example is read, so example `i` is a
/// pure function of `i` and nothing the size of the images is stored. Values are in 0…1.
public struct MultiMNIST: MultiTaskDataset {
    /// How the pairs are drawn (the registry option `pairing:`).
    public enum Pairing: String, Sendable, Codable, CaseIterable {
        /// One pair per source image, the partner from the whole source (Sener & Koltun).
        case wholeSource = "whole-source"
        /// Disjoint digit pools, each split's pairs from its own pool.
        case withinSplit = "within-split"
    }

    /// One split of a within-split pairing: how many source digits its pool holds and how many
    /// pairs are composed from them.
    public struct Pool: Equatable, Sendable {
        public var digits: Int
        public var pairs: Int
        public init(digits: Int, pairs: Int) {
            self.digits = digits
            self.pairs = pairs
        }
    }

    /// How the 36×36 canvas becomes the input.
    public enum Resize: String, Sendable, Codable {
        /// Keep the 36×36 canvas.
        case none
        /// 28×28, nearest neighbour (pixel centres).
        case nearest
        /// 28×28, bilinear interpolation at pixel centres.
        case bilinear
    }

    public let source: MNIST
    public let seed: UInt64
    public let resize: Resize
    public let name: String
    public let pairing: Pairing
    /// The left-hand source image of each example (`i` itself when pairing the whole source).
    public let lefts: [Int]
    /// The partner (right-hand) source image of each example.
    public let partners: [Int]
    /// Within-split pairing: the source images of each pool (sorted) and the examples composed
    /// from it (contiguous, in the pools' order). Pairing the whole source: one pool of everything.
    public let digitPools: [[Int]]
    public let poolExamples: [Range<Int>]

    /// Composes pairs from `source` (28×28 images).
    public init(source: MNIST, seed: UInt64 = 0, resize: Resize = .nearest, name: String? = nil) throws {
        guard source.rows == 28 && source.columns == 28 else {
            throw DatasetError.invalidArgument("MultiMNIST needs 28×28 source images, \(source.name) has \(source.rows)×\(source.columns)")
        }
        guard source.count > 0 else { throw DatasetError.invalidArgument("MultiMNIST needs a non-empty source") }
        self.source = source
        self.seed = seed
        self.resize = resize
        self.name = name ?? "multi-\(source.name)"
        self.pairing = .wholeSource
        self.lefts = Array(0..<source.count)
        self.partners = (0..<source.count).map { i in
            var generator = SeedDerivation.generator(seed, index: i, salt: .composition)
            return Int(generator.bounded(UInt64(source.count)))
        }
        self.digitPools = [Array(0..<source.count)]
        self.poolExamples = [0..<source.count]
    }

    /// Composes pairs within disjoint pools of `source` digits: a permutation seeded by `seed` is
    /// cut in order into `pools.count` pools of `pools[s].digits` images (the rest of the source is
    /// unused), and pool `s` gives `pools[s].pairs` examples, numbered on from the previous pool's.
    /// Pair `k` of a pool of `n` digits puts its `(k mod n)`-th digit (in source order) on the left
    /// — every digit once before any twice — and a digit drawn uniformly from the same pool by a
    /// generator derived from (`seed`, example index) on the right.
    public init(source: MNIST, pools: [Pool], seed: UInt64 = 0, resize: Resize = .nearest, name: String? = nil) throws {
        guard source.rows == 28 && source.columns == 28 else {
            throw DatasetError.invalidArgument("MultiMNIST needs 28×28 source images, \(source.name) has \(source.rows)×\(source.columns)")
        }
        guard !pools.isEmpty else { throw DatasetError.invalidArgument("MultiMNIST within-split pairing needs at least one pool") }
        for (s, pool) in pools.enumerated() {
            guard pool.digits >= 1, pool.pairs >= 0 else {
                throw DatasetError.invalidArgument("MultiMNIST pool \(s) has \(pool.digits) digits and \(pool.pairs) pairs; expected at least 1 digit and 0 pairs")
            }
        }
        let digits = pools.reduce(0) { $0 + $1.digits }
        guard digits <= source.count else {
            throw DatasetError.invalidArgument("MultiMNIST pools of \(pools.map { String($0.digits) }.joined(separator: " + ")) = \(digits) digits exceed the \(source.count) images of \(source.name)")
        }
        self.source = source
        self.seed = seed
        self.resize = resize
        self.name = name ?? "multi-\(source.name)"
        self.pairing = .withinSplit
        var generator = SeedDerivation.generator(seed, index: 0, salt: .partition)
        let order = seededPermutation(source.count, generator: &generator)
        var start = 0, first = 0
        var digitPools: [[Int]] = [], poolExamples: [Range<Int>] = []
        var lefts: [Int] = [], partners: [Int] = []
        lefts.reserveCapacity(pools.reduce(0) { $0 + $1.pairs })
        partners.reserveCapacity(lefts.capacity)
        for pool in pools {
            let members = order[start..<(start + pool.digits)].sorted()
            start += pool.digits
            for k in 0..<pool.pairs {
                var generator = SeedDerivation.generator(seed, index: first + k, salt: .composition)
                lefts.append(members[k % members.count])
                partners.append(members[Int(generator.bounded(UInt64(members.count)))])
            }
            digitPools.append(members)
            poolExamples.append(first..<(first + pool.pairs))
            first += pool.pairs
        }
        guard first > 0 else { throw DatasetError.invalidArgument("MultiMNIST within-split pairing composes no pairs") }
        self.lefts = lefts
        self.partners = partners
        self.digitPools = digitPools
        self.poolExamples = poolExamples
    }

    public var count: Int { lefts.count }
    public var side: Int { resize == .none ? 36 : 28 }
    public var inputShape: [Int] { [1, side, side] }
    public var tasks: [TaskSpec] {
        [TaskSpec(name: "left", kind: .classification(classes: 10), labelShape: []),
         TaskSpec(name: "right", kind: .classification(classes: 10), labelShape: [])]
    }

    /// The 36×36 canvas of example `index` (values 0…255).
    public func canvas(at index: Int) -> [Float] {
        var canvas = [Float](repeating: 0, count: 36 * 36)
        let left = Array(source.image(at: lefts[index])), right = Array(source.image(at: partners[index]))
        for r in 0..<28 {
            for c in 0..<28 {
                canvas[r * 36 + c] = Float(left[r * 28 + c])
            }
        }
        for r in 0..<28 {
            for c in 0..<28 {
                let p = (r + 6) * 36 + c + 6
                canvas[p] = max(canvas[p], Float(right[r * 28 + c]))
            }
        }
        return canvas
    }

    public func example(at index: Int) throws -> Example {
        try checkIndex(index)
        let canvas = self.canvas(at: index)
        let image: [Float]
        switch resize {
        case .none: image = canvas
        case .nearest: image = Self.resizeNearest(canvas, from: 36, to: 28)
        case .bilinear: image = Self.resizeBilinear(canvas, from: 36, to: 28)
        }
        return Example(input: FloatArray(shape: inputShape, scalars: image.map { $0 / 255 }), targets: [
            "left": FloatArray(shape: [], scalars: [Float(source.labels[lefts[index]])]),
            "right": FloatArray(shape: [], scalars: [Float(source.labels[partners[index]])]),
        ])
    }

    /// Nearest-neighbour resize of a square image, sampling source pixel ⌊(d + ½)·from/to⌋.
    static func resizeNearest(_ image: [Float], from: Int, to: Int) -> [Float] {
        var output = [Float](repeating: 0, count: to * to)
        for r in 0..<to {
            let sr = min((2 * r + 1) * from / (2 * to), from - 1)
            for c in 0..<to {
                let sc = min((2 * c + 1) * from / (2 * to), from - 1)
                output[r * to + c] = image[sr * from + sc]
            }
        }
        return output
    }

    /// Bilinear resize of a square image with pixel-centre alignment (edges clamped).
    static func resizeBilinear(_ image: [Float], from: Int, to: Int) -> [Float] {
        var output = [Float](repeating: 0, count: to * to)
        let scale = Float(from) / Float(to)
        func coordinate(_ d: Int) -> (Int, Int, Float) {
            let s = min(max((Float(d) + 0.5) * scale - 0.5, 0), Float(from - 1))
            let low = Int(s)
            return (low, min(low + 1, from - 1), s - Float(low))
        }
        for r in 0..<to {
            let (r0, r1, fr) = coordinate(r)
            for c in 0..<to {
                let (c0, c1, fc) = coordinate(c)
                let top = image[r0 * from + c0] * (1 - fc) + image[r0 * from + c1] * fc
                let bottom = image[r1 * from + c0] * (1 - fc) + image[r1 * from + c1] * fc
                output[r * to + c] = top * (1 - fr) + bottom * fr
            }
        }
        return output
    }
}
