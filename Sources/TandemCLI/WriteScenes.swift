import ArgumentParser
import Foundation
import TandemCore
import TandemDatasets

/// `tandem write-scenes`: the embedded synthetic scenes written as an NYUv2 `.npy` tree, for the
/// `nyuv2` data set (and reference codes reading MTAN's layout) to run on without the real data.
struct WriteScenes: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write-scenes",
        abstract: "Write synthetic scenes as a .npy tree in the NYUv2 layout (ROOT/{train,val}/{image,label,depth,normal}/N.npy).",
        discussion: """
        Files are channels last, as NumPy holds MTAN's preprocessed NYUv2: image H×W×3 (0…1), \
        label H×W (13 classes, −1 = ignore), depth H×W×1 (metres, 0 = invalid), normal H×W×3 \
        (unit, all-zero = invalid). Training samples are scenes 0…N−1 of the seed, validation \
        samples the next M. Example:
          tandem write-scenes --output scenes-nyu --height 96 --width 128 --train 64 --validation 32
          tandem train recipes/nyuv2.yaml dataset.root=$PWD/scenes-nyu
        """)

    @Option(help: "The folder to write (its train/ and val/ must hold no .npy files yet).") var output: String
    @Option(help: "The layout (nyuv2: the only one).") var layout = "nyuv2"
    @Option(parsing: .unconditional, help: "Image height (NYUv2: 288).") var height = 288
    @Option(parsing: .unconditional, help: "Image width (NYUv2: 384).") var width = 384
    @Option(parsing: .unconditional, help: "Training samples (NYUv2: 795).") var train = 795
    @Option(parsing: .unconditional, help: "Validation samples, the val/ folder (NYUv2: 654).") var validation = 654
    @Option(parsing: .unconditional, help: "Seed of the scenes.") var seed: UInt64 = 0
    @Option(parsing: .unconditional, help: "Standard deviation of RGB noise (0…1).") var noise = 0.0
    @Option(help: "Element type of the files: float64 (NumPy's default) or float32 (half the size).") var dtype = "float64"

    func validate() throws {
        guard layout == "nyuv2" else { throw ValidationError("--layout must be nyuv2 (the only layout written), found '\(layout)'") }
        guard (8...4096).contains(height), (8...4096).contains(width) else {
            throw ValidationError("--height and --width must be within 8…4096, found \(height)×\(width)")
        }
        guard (1...1_000_000).contains(train), (1...1_000_000).contains(validation) else {
            throw ValidationError("--train and --validation must be within 1…1000000, found \(train) and \(validation)")
        }
        guard noise.isFinite, (0...1).contains(noise) else { throw ValidationError("--noise must be within 0…1, found \(noise)") }
        guard DenseNpyTreeWriter.ElementType(rawValue: dtype) != nil else {
            throw ValidationError("--dtype must be float64 or float32, found '\(dtype)'")
        }
    }

    func run() throws {
        guard !output.isEmpty else { throw inputError("--output must name a folder") }
        var options = SyntheticScenesOptions(count: train + validation, height: height, width: width, seed: seed)
        options.imageNoise = noise
        do {
            let export = try SceneTreeExport(trainCount: train, validationCount: validation, options: options,
                                             elementType: DenseNpyTreeWriter.ElementType(rawValue: dtype)!)
            let root = URL(fileURLWithPath: output)
            var reported = 0
            try export.write(to: root) { written, total in
                if written * 10 / total > reported * 10 / total || written == total {
                    FileHandle.standardError.write(Data("  \(written)/\(total) samples\n".utf8))
                    reported = written
                }
            }
            print("wrote \(train) training and \(validation) validation scenes (\(height)×\(width), seed \(seed), \(dtype)) to \(root.path) "
                  + "in the nyuv2 layout; train on them with dataset: {name: nyuv2, root: \(root.path)}")
        } catch {
            throw inputError("\(error)")
        }
    }
}
