import TandemCore

/// Training-time augmentation of dense samples as the MTAN / Nash-MTL code does it for NYUv2: a
/// random scale s from `scales` (theirs: 1.0, 1.2, 1.5), a ⌊H/s⌋×⌊W/s⌋ crop at a uniformly random
/// offset resized back to H×W with the depth divided by s, then a horizontal flip with probability
/// `flipProbability` (0.5) that negates the normals' x component (`ScaleCropFlip`).
///
/// The draws come from a generator derived from (seed, batch position, slot in the batch) only —
/// `generator(seed:position:slot:)` — so an augmented batch is a pure function of its position: the
/// same at any thread count, prefetched or not, and after a resume (which restores only how many
/// batches were drawn).
public struct DenseAugmentation: Equatable, Sendable {
    /// The scales of the MTAN / Nash-MTL code.
    public static let referenceScales: [Double] = [1.0, 1.2, 1.5]

    /// The zoom factors drawn from, uniformly; each at least 1.
    public let scales: [Double]
    /// The probability of a horizontal flip.
    public let flipProbability: Double

    public init(scales: [Double] = referenceScales, flipProbability: Double = 0.5) throws {
        guard !scales.isEmpty else { throw DatasetError.invalidArgument("augmentation needs at least one scale") }
        if let bad = scales.first(where: { !($0 >= 1 && $0 <= 16) }) {
            throw DatasetError.invalidArgument("augmentation scale \(bad) is outside 1…16 (a scale s crops H/s×W/s and zooms it back)")
        }
        guard flipProbability >= 0 && flipProbability <= 1 else {
            throw DatasetError.invalidArgument("augmentation flip probability \(flipProbability) is outside 0…1")
        }
        self.scales = scales
        self.flipProbability = flipProbability
    }

    /// The generator of the sample in `slot` of training batch `position` of a run (or batch
    /// stream) seeded with `seed`.
    public static func generator(seed: UInt64, position: Int, slot: Int) -> SeededGenerator {
        SeedDerivation.generator(seed, index: position, salt: .augmentation, subsalt: UInt64(truncatingIfNeeded: slot))
    }

    /// Draws a transform for an H×W sample, in the reference's order: the scale, the crop's top
    /// row, its left column (each uniform over the offsets that keep the crop inside), the flip.
    public func draw(height: Int, width: Int, generator: inout SeededGenerator) -> ScaleCropFlip {
        let scale = scales[Int(generator.bounded(UInt64(scales.count)))]
        let size = ScaleCropFlip.windowSize(scale: scale, height: height, width: width)
        let top = generator.integer(in: 0...(height - size.height))
        let left = generator.integer(in: 0...(width - size.width))
        let flipped = generator.nextUniformDouble() < flipProbability
        return ScaleCropFlip(scale: scale, window: PixelWindow(top: top, left: left, height: size.height, width: size.width),
                             flipped: flipped)
    }

    /// `example` with a transform drawn from `generator` applied (see `ScaleCropFlip.apply`).
    public func apply(to example: Example, tasks: [TaskSpec], generator: inout SeededGenerator) throws -> Example {
        let shape = example.input.shape
        guard shape.count == 3 else {
            throw DatasetError.invalidArgument("augmentation needs C×H×W inputs, the example's input has shape \(shape)")
        }
        return try draw(height: shape[1], width: shape[2], generator: &generator).apply(to: example, tasks: tasks)
    }
}
