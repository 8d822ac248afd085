import TandemCore
import TandemDatasets

/// The dataset options that switch on `DenseAugmentation` for training batches (the dense data
/// sets whose depth is a depth, not a disparity: `synthetic-scenes`, `nyuv2`).
enum DenseAugmentationOptions {
    static let specs: [OptionSpec] = [
        OptionSpec("augmentation", .boolean, default: .boolean(false),
                   "training batches only: random scale-crop (scale from augmentation_scales, crop H/s×W/s resized back, depth ÷ s) and horizontal flip (p = 0.5, normals' x negated), as the MTAN / Nash-MTL NYUv2 code; seeded by the run's seed, resumable"),
        OptionSpec("augmentation_scales", .list(.number(1...16)), default: nil,
                   "the scales s drawn from, uniformly, with augmentation: true (default [1.0, 1.2, 1.5], the reference's)"),
    ]

    /// The augmentation the options ask for, or nil when `augmentation` is false.
    static func augmentation(from options: Options) throws -> DenseAugmentation? {
        guard options.boolean("augmentation") == true else {
            if options.list("augmentation_scales") != nil {
                throw CommandError("`augmentation_scales:` is read only with `augmentation: true`")
            }
            return nil
        }
        guard let given = options.list("augmentation_scales") else { return try DenseAugmentation() }
        let scales = given.compactMap { value -> Double? in
            switch value {
            case let .number(number): return number
            case let .integer(integer): return Double(integer)
            default: return nil
            }
        }
        do { return try DenseAugmentation(scales: scales) }
        catch { throw CommandError("augmentation_scales: \(error)") }
    }
}
