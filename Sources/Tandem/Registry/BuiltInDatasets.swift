import Foundation
import TandemCore
import TandemDatasets

extension Registry {
    static var builtInDatasets: [DatasetEntry] {
        [
            DatasetEntry(description: ComponentDescription(
                name: "synthetic-scenes", kind: .dataset,
                summary: "Rendered indoor scenes with exactly consistent RGB, depth, normals and semantic labels (no download). Tasks: segmentation, depth, normals.",
                reference: "docs/datasets.md",
                options: [
                    OptionSpec("train", .integer(1...1_000_000), default: .integer(400), "training images"),
                    OptionSpec("validation", .integer(1...1_000_000), default: .integer(100), "validation images"),
                    OptionSpec("test", .integer(1...1_000_000), default: .integer(100), "test images"),
                    OptionSpec("height", .integer(8...4096), default: .integer(64), "image height (models need a multiple of 32)"),
                    OptionSpec("width", .integer(8...4096), default: .integer(96), "image width"),
                    OptionSpec("classes", .integer(4...1000), default: .integer(13), "semantic classes (13 = the NYUv2 classes)"),
                    OptionSpec("seed", .integer(0...Int.max), default: .integer(0), "seed of the scenes (independent of the run's seed)"),
                    OptionSpec("noise", .number(0...1), default: .number(0), "standard deviation of RGB noise"),
                    OptionSpec("relatedness", .number(0...1), default: nil,
                               "ρ: the share of floor objects whose class their geometry (what depth and normals see) carries; the rest carry it in colour and pattern only (docs/datasets.md). Unset: both, as always"),
                    OptionSpec("room_labels", .boolean, default: .boolean(true),
                               "whether floor, walls and ceiling are labelled (false: −1, ignored; the primary is about objects only)"),
                    OptionSpec("auxiliary_targets", .choice(["scene", "unrelated"]), default: .text("scene"),
                               "what depth and normals show: the image's scene, or an independent one (the harmful-auxiliary setting)"),
                ] + DenseAugmentationOptions.specs)) { options, _ in
                let train = options.integer("train")!, validation = options.integer("validation")!, test = options.integer("test")!
                var sceneOptions = SyntheticScenesOptions(count: train + validation + test, height: options.integer("height")!,
                                                          width: options.integer("width")!, seed: UInt64(options.integer("seed")!),
                                                          classCount: options.integer("classes")!)
                sceneOptions.imageNoise = options.number("noise")!
                sceneOptions.relatedness = options.number("relatedness")
                if options.text("auxiliary_targets") == "unrelated" { sceneOptions.auxiliaryTargets = .unrelated }
                if options.boolean("room_labels") == false { sceneOptions.roomLabels = false }
                let scenes = try MaterializedDataset(try SyntheticScenes(options: sceneOptions))
                let splits = DatasetSplits(train: Array(0..<train), validation: Array(train..<(train + validation)),
                                           test: Array((train + validation)..<(train + validation + test)))
                return DatasetBundle(dataset: scenes, splits: splits,
                                     trainingAugmentation: try DenseAugmentationOptions.augmentation(from: options))
            },
            DatasetEntry(description: ComponentDescription(
                name: "multimnist", kind: .dataset,
                summary: "MultiMNIST / MultiFashion (Sener & Koltun): two digits from an MNIST-format IDX pair overlaid on a 36×36 canvas. Tasks: left, right.",
                reference: "Sener & Koltun, NeurIPS 2018; docs/datasets.md",
                options: [
                    OptionSpec("images", .text, default: nil, "IDX images file (path relative to the recipe)", required: true),
                    OptionSpec("labels", .text, default: nil, "IDX labels file (path relative to the recipe)", required: true),
                    OptionSpec("resize", .choice(["none", "nearest", "bilinear"]), default: .text("nearest"), "none keeps 36×36; nearest/bilinear give 28×28"),
                    OptionSpec("train", .integer(1...10_000_000), default: .integer(3000), "training samples (pairs)"),
                    OptionSpec("validation", .integer(1...10_000_000), default: .integer(1000), "validation samples (pairs)"),
                    OptionSpec("test", .integer(1...10_000_000), default: .integer(1000), "test samples (pairs)"),
                    OptionSpec("pairing", .choice(MultiMNIST.Pairing.allCases.map(\.rawValue)), default: .text(MultiMNIST.Pairing.wholeSource.rawValue),
                               "whole-source: one pair per image, partner from the whole file, pairs then split at random (a training pair may hold a test digit); within-split: the digits are split first and each split's pairs use only its own digits (train may exceed the images, e.g. 100000)"),
                    OptionSpec("train_digits", .integer(1...10_000_000), default: nil, "within-split: images in the training pool (default: all not in the validation and test pools)"),
                    OptionSpec("validation_digits", .integer(1...10_000_000), default: nil, "within-split: images in the validation pool (default: validation)"),
                    OptionSpec("test_digits", .integer(1...10_000_000), default: nil, "within-split: images in the test pool (default: test)"),
                    OptionSpec("seed", .integer(0...Int.max), default: .integer(0), "seed of the pairing and of the split"),
                ])) { options, folder in
                func path(_ key: String) throws -> URL {
                    guard let text = options.text(key) else {
                        throw CommandError("multimnist needs `\(key):` (an IDX file; the repository ships data/mnist5k-\(key == "images" ? "images-idx3" : "labels-idx1")-ubyte)")
                    }
                    return URL(fileURLWithPath: text.hasPrefix("/") ? text : (folder as NSString).appendingPathComponent(text))
                }
                let mnist = try MNIST(images: try path("images"), labels: try path("labels"))
                let seed = UInt64(options.integer("seed")!)
                let resize = MultiMNIST.Resize(rawValue: options.text("resize")!)!
                let (train, validation, test) = (options.integer("train")!, options.integer("validation")!, options.integer("test")!)
                let poolKeys = ["train_digits", "validation_digits", "test_digits"]
                if MultiMNIST.Pairing(rawValue: options.text("pairing")!)! == .withinSplit {
                    let validationDigits = options.integer("validation_digits") ?? validation
                    let testDigits = options.integer("test_digits") ?? test
                    let trainDigits = options.integer("train_digits") ?? (mnist.count - validationDigits - testDigits)
                    let digits = trainDigits + validationDigits + testDigits
                    guard trainDigits >= 1, digits <= mnist.count else {
                        throw CommandError("multimnist (pairing: within-split): train_digits + validation_digits + test_digits = \(trainDigits) + \(validationDigits) + \(testDigits) must be at most the \(mnist.count) images of \(options.text("images")!), with at least 1 training digit (validation_digits and test_digits default to validation and test, train_digits to the rest)")
                    }
                    // Composed when read (100,000 36×36 pairs would be half a gigabyte).
                    let pairs = try MultiMNIST(source: mnist, pools: [MultiMNIST.Pool(digits: trainDigits, pairs: train),
                                                                      MultiMNIST.Pool(digits: validationDigits, pairs: validation),
                                                                      MultiMNIST.Pool(digits: testDigits, pairs: test)],
                                               seed: seed, resize: resize)
                    let ranges = pairs.poolExamples
                    return DatasetBundle(dataset: pairs, splits: DatasetSplits(train: Array(ranges[0]), validation: Array(ranges[1]), test: Array(ranges[2])))
                }
                if let given = poolKeys.first(where: { options.integer($0) != nil }) {
                    throw CommandError("multimnist: `\(given):` is read only with `pairing: within-split` (the whole-source pairing splits pairs, not digits)")
                }
                let pairs = try MaterializedDataset(try MultiMNIST(source: mnist, seed: seed, resize: resize))
                guard train + validation + test <= pairs.count else {
                    throw CommandError("multimnist: train + validation + test = \(train + validation + test) exceeds the \(pairs.count) images of \(options.text("images")!) (pairing: whole-source composes one pair per image; pairing: within-split composes any number)")
                }
                let splits = try DatasetSplits.random(count: pairs.count, trainCount: train, validationCount: validation, testCount: test, seed: seed)
                return DatasetBundle(dataset: pairs, splits: splits)
            },
            denseNpy(name: "nyuv2", summary: "NYUv2 in the preprocessed MTAN / Auto-λ layout ROOT/{train,val}/{image,label,depth,normal}/N.npy. Tasks: segmentation (13 classes), depth, normals.",
                     layouts: { _ in .nyuv2 }, augmentable: true),
            denseNpy(name: "cityscapes", summary: "CityScapes in the preprocessed MTAN layout ROOT/{train,val}/{image,label_7 or label_19,depth}/N.npy (or Auto-λ's seg/part_seg/disp). Tasks: segmentation, depth (+ part segmentation in the Auto-λ layout).",
                     layouts: { options in options.text("layout") == "auto-lambda" ? .cityscapesAutoLambda : .cityscapes(classCount: options.integer("classes")!) },
                     extra: [OptionSpec("classes", .integer(7...19), default: .integer(7), "semantic classes (MTAN label_7 or label_19)"),
                             OptionSpec("layout", .choice(["mtan", "auto-lambda"]), default: .text("mtan"), "folder layout")]),
            cifar100Domains,
            plantedTaskGroups,
        ]
    }

    /// The planted-task-groups benchmark (`PlantedTaskGroups`): one generated set split in order
    /// into training, validation and test samples.
    static var plantedTaskGroups: DatasetEntry {
        DatasetEntry(description: ComponentDescription(
            name: "task-groups", kind: .dataset,
            summary: "Known-answer task grouping: 6–12 classification tasks on a vector input, in planted groups that each read one latent factor (x = A·z + σ·ε); some pairs of groups in conflict. Declares its true task groups (`tandem affinity` prints the adjusted Rand index against them). Tasks: a1, a2, …, b1, ….",
            reference: "docs/datasets.md",
            options: [
                OptionSpec("train", .integer(1...1_000_000), default: .integer(10_000), "training samples"),
                OptionSpec("validation", .integer(1...1_000_000), default: .integer(1000), "validation samples"),
                OptionSpec("test", .integer(1...1_000_000), default: .integer(2000), "test samples"),
                OptionSpec("tasks", .integer(6...12), default: .integer(9), "number of tasks T"),
                OptionSpec("groups", .integer(2...6), default: .integer(3), "planted groups G (each at least two tasks; sizes differ by at most one)"),
                OptionSpec("input_size", .integer(2...4096), default: .integer(16), "input dimension d (at least groups + nuisance)"),
                OptionSpec("nuisance", .integer(0...1000), default: .integer(3), "nuisance factors M in the input, read by no task"),
                OptionSpec("noise", .number(0...100), default: .number(0.5), "σ of the Gaussian noise on each input value"),
                OptionSpec("classes", .integer(2...100), default: .integer(4), "classes K per task (quantile bins of the task's transform of its factor)"),
                OptionSpec("conflicts", .integer(0...3), default: .integer(1), "pairs of groups in conflict ((a, b), (c, d), …)"),
                OptionSpec("overlap", .number(0...0.99), default: .number(0.5), "cosine between the input directions of two conflicting groups' factors"),
                OptionSpec("seed", .integer(0...Int.max), default: .integer(0), "seed of the mixing matrix, the tasks and the samples (independent of the run's seed)"),
            ])) { options, _ in
            let train = options.integer("train")!, validation = options.integer("validation")!, test = options.integer("test")!
            var settings = PlantedTaskGroupsOptions()
            settings.count = train + validation + test
            settings.taskCount = options.integer("tasks")!
            settings.groupCount = options.integer("groups")!
            settings.inputSize = options.integer("input_size")!
            settings.nuisanceCount = options.integer("nuisance")!
            settings.inputNoise = options.number("noise")!
            settings.classCount = options.integer("classes")!
            settings.conflictingPairs = options.integer("conflicts")!
            settings.overlap = options.number("overlap")!
            settings.seed = UInt64(options.integer("seed")!)
            let samples = try MaterializedDataset(try PlantedTaskGroups(options: settings))
            let splits = DatasetSplits(train: Array(0..<train), validation: Array(train..<(train + validation)),
                                       test: Array((train + validation)..<(train + validation + test)))
            return DatasetBundle(dataset: samples, splits: splits)
        }
    }

    /// CIFAR-100's binary files as 20 five-way domain tasks: `ROOT/train.bin` for training (less an
    /// optional seeded validation hold-out), `ROOT/test.bin` for testing (and for validation when
    /// nothing is held out, as the Auto-λ code evaluates).
    static var cifar100Domains: DatasetEntry {
        DatasetEntry(description: ComponentDescription(
            name: "cifar100-domains", kind: .dataset,
            summary: "CIFAR-100 (binary version, ROOT/{train,test}.bin) as 20 domains, one per coarse class, each a 5-way task over its fine classes (Auto-λ / IAL multi-domain setting). Tasks: aquatic_mammals, fish, … vehicles_2.",
            reference: "Krizhevsky 2009; Liu et al. (Auto-λ), TMLR 2022; docs/datasets.md",
            options: [
                OptionSpec("root", .text, default: nil, "the folder holding train.bin and test.bin (cifar-100-binary/), relative to the recipe", required: true),
                OptionSpec("validation", .integer(0...49_999), default: .integer(0),
                           "training images held out for validation (seeded); 0: test.bin is both validation and test, as the Auto-λ code evaluates"),
                OptionSpec("limit", .integer(0...10_000_000), default: .integer(0), "use only the first N remaining training images (0: all)"),
                OptionSpec("seed", .integer(0...Int.max), default: .integer(0), "seed of the validation hold-out"),
            ])) { options, folder in
            let text = options.text("root")!
            let root = URL(fileURLWithPath: text.hasPrefix("/") ? text : (folder as NSString).appendingPathComponent(text))
            let train = try CIFAR100Domains(file: root.appendingPathComponent("train.bin"), name: "cifar100-domains/train")
            let test = try CIFAR100Domains(file: root.appendingPathComponent("test.bin"), name: "cifar100-domains/test")
            let held = options.integer("validation")!, limit = options.integer("limit")!
            guard held < train.count else {
                throw CommandError("cifar100-domains: validation: \(held) leaves no training images of the \(train.count) in \(root.appendingPathComponent("train.bin").path)")
            }
            let splits = try DatasetSplits.random(count: train.count, trainCount: train.count - held, validationCount: held, testCount: 0,
                                                  seed: UInt64(options.integer("seed")!))
            let trainIndices = limit > 0 ? Array(splits.train.prefix(limit)) : splits.train
            let all = Array(0..<test.count)
            return held > 0
                ? DatasetBundle(training: train, trainingIndices: trainIndices, validation: train, validationIndices: splits.validation,
                                test: test, testIndices: all)
                : DatasetBundle(training: train, trainingIndices: trainIndices, validation: test, validationIndices: all,
                                test: test, testIndices: all)
        }
    }

    /// A preprocessed per-sample .npy dataset: `train` folder for training; the `val` folder split
    /// as in the TMT paper (validation = even indices, test = odd), or used whole for both.
    /// `augmentable` adds the training augmentation options (for layouts whose depth is a depth).
    static func denseNpy(name: String, summary: String, layouts: @escaping (Options) -> DenseNpyLayout, extra: [OptionSpec] = [],
                         augmentable: Bool = false) -> DatasetEntry {
        DatasetEntry(description: ComponentDescription(
            name: name, kind: .dataset, summary: summary, reference: "docs/datasets.md",
            options: [
                OptionSpec("root", .text, default: nil, "the dataset folder (holding train/ and val/), relative to the recipe", required: true),
                OptionSpec("validation", .choice(["even-odd", "whole"]), default: .text("even-odd"),
                           "even-odd: validation = even indices of val/, test = odd (TMT paper); whole: val/ is both"),
                OptionSpec("limit", .integer(0...10_000_000), default: .integer(0), "use only the first N training images (0: all)"),
            ] + extra + (augmentable ? DenseAugmentationOptions.specs : []))) { options, folder in
            let text = options.text("root")!
            let root = URL(fileURLWithPath: text.hasPrefix("/") ? text : (folder as NSString).appendingPathComponent(text))
            let layout = layouts(options)
            let train = try DenseNpyDataset(root: root, split: "train", layout: layout)
            let evaluation = try DenseNpyDataset(root: root, split: "val", layout: layout)
            let limit = options.integer("limit")!
            let trainIndices = Array(0..<(limit > 0 ? min(limit, train.count) : train.count))
            let all = Array(0..<evaluation.count)
            let evenOdd = options.text("validation") == "even-odd"
            return DatasetBundle(training: train, trainingIndices: trainIndices,
                                 validation: evaluation, validationIndices: evenOdd ? all.filter { $0 % 2 == 0 } : all,
                                 test: evaluation, testIndices: evenOdd ? all.filter { $0 % 2 == 1 } : all,
                                 trainingAugmentation: augmentable ? try DenseAugmentationOptions.augmentation(from: options) : nil)
        }
    }
}

/// A data set rendered or read once into memory (generation runs on both cores), so training
/// steps only copy.
public struct MaterializedDataset: MultiTaskDataset {
    public let name: String
    public let inputShape: [Int]
    public let tasks: [TaskSpec]
    public let trueTaskGroups: [[String]]?
    private let examples: [Example]

    public init(_ source: SyntheticScenes) throws {
        name = source.name
        inputShape = source.inputShape
        tasks = source.tasks
        trueTaskGroups = source.trueTaskGroups
        examples = try source.allSamples().map { $0.example() }
    }

    public init(_ source: any MultiTaskDataset) throws {
        name = source.name
        inputShape = source.inputShape
        tasks = source.tasks
        trueTaskGroups = source.trueTaskGroups
        examples = try (0..<source.count).map { try source.example(at: $0) }
    }

    public var count: Int { examples.count }

    public func example(at index: Int) throws -> Example {
        guard index >= 0 && index < examples.count else {
            throw DatasetError.invalidArgument("\(name): sample \(index) is outside 0..<\(examples.count)")
        }
        return examples[index]
    }
}
