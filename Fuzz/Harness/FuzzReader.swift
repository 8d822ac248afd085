import Foundation
import Tandem
import TandemCore
import TandemDatasets
import TandemModels

/// One reader of untrusted input, fed whole files as bytes: the same entry points the command
/// line uses, with a fixed file name so every rejection can be checked to name it.
public enum FuzzReader: String, CaseIterable, Sendable {
    /// A recipe (YAML, then typed checks, then registry checks); a first line `#! key=value`
    /// is applied as a command-line override.
    case recipe
    /// A NumPy `.npy` file, then every element accessor.
    case npy
    /// An MNIST IDX pair: a little-endian UInt32 length, that many bytes of images file, then the
    /// labels file (`pair(_:_:)`).
    case idx
    /// An NYUv2 / CityScapes tree member (4×5 samples): the input is tried as image, labels,
    /// depth and normals.
    case tree
    /// A CIFAR-100 binary file, then every example and domain.
    case cifar
    /// A checkpoint, decoded and then restored into a small trainer and trained one step; an input
    /// starting with the uncompressed magic `TANDEMCK` is taken as a payload, re-checksummed and
    /// compressed first.
    case checkpoint

    /// The file name rejections must mention.
    public var fileName: String {
        switch self {
        case .recipe: return "fuzz-recipe.yaml"
        case .npy: return "fuzz.npy"
        case .idx: return "fuzz-idx3-ubyte"
        case .tree: return "fuzz-tree/0.npy"
        case .cifar: return "fuzz-train.bin"
        case .checkpoint: return "fuzz-checkpoint.tandem"
        }
    }

    /// Reads `data`: accepted, or rejected with an error that must name `fileName` (or, for a
    /// recipe override, the command line). Anything that traps is a crash of the process.
    public func read(_ data: Data) -> FuzzOutcome {
        do {
            try readOrThrow(data)
            return .accepted
        } catch {
            let message = "\(error)"
            let named = message.contains(fileName) || (self == .recipe && message.hasPrefix("command line"))
                || (self == .idx && message.contains("fuzz-labels-idx1-ubyte"))
            return named ? .rejected(message) : .unnamed(message)
        }
    }

    func readOrThrow(_ data: Data) throws {
        switch self {
        case .recipe:
            let text = String(decoding: data, as: UTF8.self)
            var node = try YAMLNode.parse(text, file: fileName)
            if text.hasPrefix("#! ") {
                let line = text.dropFirst(3).prefix { $0 != "\n" }
                node = try RecipeDocument.apply(override: String(line), to: node)
            }
            let recipe = try Recipe(node: node, file: fileName)
            try Experiment.check(recipe)
        case .npy:
            let array = try NpyReader.parse(data, path: fileName)
            _ = array.floatScalars()
            _ = array.doubleScalars()
            _ = try? array.int32Scalars(path: fileName)
            if array.count <= 1 << 16 { _ = array.tensor() }
        case .idx:
            let bytes = [UInt8](data)
            let declared = bytes.count >= 4 ? Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16 | Int(bytes[3]) << 24 : 0
            let split = min(bytes.count, 4 + declared)
            let images = Array(bytes[min(4, bytes.count)..<split]), labels = Array(bytes[split...])
            _ = try IDXFile.parse(images, path: fileName)
            let mnist = try MNIST(imageBytes: images, imagesPath: fileName, labelBytes: labels, labelsPath: "fuzz-labels-idx1-ubyte")
            for index in 0..<min(mnist.count, 4) { _ = try mnist.example(at: index) }
            if mnist.rows == 28 && mnist.columns == 28 && mnist.count > 0 {
                let pairs = try MultiMNIST(source: mnist, seed: 1, resize: .bilinear)
                _ = try pairs.example(at: 0)
            }
        case .tree:
            let array = try NpyReader.parse(data, path: fileName)
            var firstError: Error?
            var decoded = 0
            for kind in [TaskKind?.none, .segmentation(classes: 13), .depth, .normals] {
                do {
                    if let kind {
                        _ = try DenseNpyDataset.decodeTarget(array, kind: kind, height: 4, width: 5, path: fileName)
                    } else {
                        _ = try DenseNpyDataset.decodeImage(array, height: 4, width: 5, path: fileName)
                    }
                    decoded += 1
                } catch {
                    if firstError == nil { firstError = error }
                }
            }
            if decoded == 0, let firstError { throw firstError }
        case .cifar:
            let cifar = try CIFAR100Domains(bytes: [UInt8](data), path: fileName)
            for index in 0..<min(cifar.count, 4) { _ = try cifar.example(at: index) }
            _ = try cifar.domain(Int(cifar.coarseLabels.first ?? 0))
        case .checkpoint:
            var file = data
            if data.starts(with: Checkpoint.magic), data.count >= Checkpoint.prefixLength {
                // An uncompressed payload: give it a correct CRC and compress it, so mutations
                // exercise every header and restore check behind the checksum.
                var payload = data
                let crc = payload.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[Checkpoint.prefixLength...])) }
                withUnsafeBytes(of: crc.littleEndian) { payload.replaceSubrange(20..<24, with: $0) }
                file = try Zstd.compress(payload)
            }
            let checkpoint = try Checkpoint(decoding: file, source: fileName)
            let trainer = try FuzzTrainer.make()
            try trainer.restore(from: checkpoint, source: fileName)
            // Extreme but finite restored values may make training diverge: the trainer reports
            // that itself (step, task, quantity); it is not a reader's rejection.
            do { _ = try trainer.trainStep() } catch is NonFiniteValueError {}
        }
    }
}

extension FuzzReader {
    /// The `idx` reader's input for an images file and a labels file.
    public static func pair(_ images: Data, _ labels: Data) -> Data {
        var data = Data()
        withUnsafeBytes(of: UInt32(images.count).littleEndian) { data.append(contentsOf: $0) }
        return data + images + labels
    }
}

/// What a reader made of one input.
public enum FuzzOutcome: Equatable, Sendable {
    case accepted
    /// Refused with a message naming the file.
    case rejected(String)
    /// Refused, but the message does not name the file: a finding.
    case unnamed(String)
}

/// A small trainer whose checkpoints seed and receive the checkpoint fuzzing: an MLP on two
/// regression tasks with uncertainty weighting (so strategy parameters and Adam state are saved).
public enum FuzzTrainer {
    public static func make(steps: Int = 4) throws -> Trainer {
        let tasks = [TaskSpec(name: "a", kind: .regression(outputs: 1), role: .primary),
                     TaskSpec(name: "b", kind: .regression(outputs: 1), role: .auxiliary)]
        let model = MLP(inputSize: 3, sharedWidths: [4], heads: [(task: "a", widths: [1]), (task: "b", widths: [1])])
        guard let entry = Registry.standard.strategies["uw"] else { throw CommandError("no uw strategy") }
        let strategy = try entry.make(try Options.parse(nil, specs: entry.description.options, owner: "uw"),
                                      StrategyBuildContext(tasks: tasks, seed: 1))
        return Trainer(model: model, tasks: tasks, strategy: strategy,
                       optimizers: OptimizerGroups(shared: OptimizerSetting(optimizer: Adam(), learningRate: 0.01)),
                       configuration: TrainerConfiguration(steps: steps, labelSchedule: .full), data: FuzzData(), seed: 2)
    }
}

/// Fixed batches for `FuzzTrainer`: batch n is a function of n.
final class FuzzData: TrainingDataSource {
    var drawn = 0
    let stepsPerEpoch = 2

    func batch(_ n: Int) -> TandemCore.Batch {
        let x = (0..<6).map { Float(($0 * 7 + n * 3) % 11) / 10 - 0.5 }
        return TandemCore.Batch(input: Tensor(shape: [2, 3], scalars: x),
                     targets: ["a": Tensor(shape: [2, 1], scalars: [x[0] + x[1], x[3] - x[4]]),
                               "b": Tensor(shape: [2, 1], scalars: [x[2], x[5]])])
    }

    func nextBatch(_ kind: BatchKind) -> TandemCore.Batch { drawn += 1; return batch(drawn - 1) }
    func evaluationBatches(_ split: EvaluationSplit) -> [TandemCore.Batch] { [batch(split == .validation ? 100 : 200)] }
    func saveState() -> StrategyState { StrategyState(words: ["drawn": [UInt64(drawn)]]) }
    func restoreState(_ state: StrategyState) throws {
        guard let words = state.words["drawn"], words.count == 1, let count = Int(exactly: words[0]), count <= 1 << 40 else {
            throw CommandError("data state 'drawn' must be one batch count, found \(state.words["drawn"] ?? [])")
        }
        drawn = count
    }
}
