import Foundation
import TandemCore

/// Synthetic scenes written to disk as an NYUv2 `.npy` tree — `ROOT/{train,val}/{image,label,
/// depth,normal}/{i}.npy`, the layout of MTAN's preprocessed NYUv2 — so the `nyuv2` data set (and
/// the reference codes that read that layout) run on them: `tandem write-scenes`.
///
/// The scenes are one `SyntheticScenes` set of `trainCount + validationCount` samples with 13
/// classes (the NYUv2 classes): samples 0…trainCount−1 become `train/0…`, the rest `val/0…`.
/// `DenseNpyDataset` reads back exactly the `SyntheticScenes` examples (float32 values survive
/// float64 files).
public struct SceneTreeExport {
    public let scenes: SyntheticScenes
    public let trainCount: Int
    public let validationCount: Int
    public let elementType: DenseNpyTreeWriter.ElementType

    /// Scenes of `height`×`width` rendered from `options` (its `count` and `classCount` are set here).
    public init(trainCount: Int, validationCount: Int, options: SyntheticScenesOptions,
                elementType: DenseNpyTreeWriter.ElementType = .float64) throws {
        guard trainCount >= 1, validationCount >= 1 else {
            throw DatasetError.invalidArgument("a scene tree needs at least 1 training and 1 validation sample, got \(trainCount) and \(validationCount)")
        }
        var options = options
        options.count = trainCount + validationCount
        options.classCount = 13
        scenes = try SyntheticScenes(options: options)
        self.trainCount = trainCount
        self.validationCount = validationCount
        self.elementType = elementType
    }

    /// Renders the scenes (in chunks, over `Parallel.threadCount` threads) and writes them under
    /// `root`, calling `progress` with the samples written so far and the total. Throws before
    /// writing anything when `root/train` or `root/val` already holds `.npy` files.
    public func write(to root: URL, progress: ((_ written: Int, _ total: Int) -> Void)? = nil) throws {
        let (h, w) = (scenes.options.height, scenes.options.width)
        let splits = [
            (try DenseNpyTreeWriter(root: root, split: "train", layout: .nyuv2, height: h, width: w, elementType: elementType), 0..<trainCount),
            (try DenseNpyTreeWriter(root: root, split: "val", layout: .nyuv2, height: h, width: w, elementType: elementType),
             trainCount..<(trainCount + validationCount)),
        ]
        let total = trainCount + validationCount, chunk = 32
        var written = 0
        for (writer, range) in splits {
            for start in stride(from: range.lowerBound, to: range.upperBound, by: chunk) {
                let indices = Array(start..<min(start + chunk, range.upperBound))
                for (index, sample) in zip(indices, try scenes.samples(indices)) {
                    try writer.write(sample.example(), at: index - range.lowerBound)
                }
                written += indices.count
                progress?(written, total)
            }
        }
    }
}
