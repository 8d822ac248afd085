import Foundation
import TandemCore

/// MultiMNIST / MultiFashion as composed by Sener & Koltun (NeurIPS 2018, "Multi-Task Learning as
/// Multi-Objective Optimization"): each image `i` of the source is put at the top-left of a 36×36
/// canvas (rows and columns 0…27) and a partner image at the bottom-right (6…33); where they overlap
/// the canvas takes the maximum. Tasks `left` and `right` are the two digits' classes. The canvas is
/// optionally resized to 28×28 (nearest neighbour, as their original `imresize(..., 'nearest')`).
///
/// The partner of image `i` is drawn uniformly from the whole source by a generator derived from
/// (`seed`, `i`), so example `i` never depends on other examples. Values are in 0…1.
public struct MultiMNIST: MultiTaskDataset {
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
    /// The partner (right-hand) image of each example.
    public let partners: [Int]

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
        self.partners = (0..<source.count).map { i in
            var generator = SeedDerivation.generator(seed, index: i, salt: .composition)
            return Int(generator.bounded(UInt64(source.count)))
        }
    }

    public var count: Int { source.count }
    public var side: Int { resize == .none ? 36 : 28 }
    public var inputShape: [Int] { [1, side, side] }
    public var tasks: [TaskSpec] {
        [TaskSpec(name: "left", kind: .classification(classes: 10), labelShape: []),
         TaskSpec(name: "right", kind: .classification(classes: 10), labelShape: [])]
    }

    /// The 36×36 canvas of example `index` (values 0…255).
    public func canvas(at index: Int) -> [Float] {
        var canvas = [Float](repeating: 0, count: 36 * 36)
        let left = Array(source.image(at: index)), right = Array(source.image(at: partners[index]))
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
            "left": FloatArray(shape: [], scalars: [Float(source.labels[index])]),
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
