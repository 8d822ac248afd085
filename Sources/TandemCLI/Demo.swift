import ArgumentParser
import Foundation
import TandemCore
import TandemModels
import TandemStrategies

/// `tandem demo`: a short real multi-task training run on the core — an MLP learning a
/// regression task and a classification task together on synthetic data — printing its loss curve.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a two-task MLP on synthetic data and print the loss curve.")

    // `.unconditional`: `--steps -5` reaches `validate()` ("must be positive") instead of being
    // mistaken for an option and reported as "Missing value".
    @Option(parsing: .unconditional, help: "Training steps.") var steps = 400
    @Option(parsing: .unconditional, help: "Random seed (same seed ⇒ same numbers).") var seed: UInt64 = 0
    @Option(parsing: .unconditional, help: "Batch size.") var batchSize = 64

    func validate() throws {
        guard steps > 0 else { throw ValidationError("--steps must be positive, got \(steps)") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive, got \(batchSize)") }
    }

    func run() throws {
        var generator = SeededGenerator(seed: seed)
        let data = ToyTwoTaskData(samples: 2048, features: 8, classes: 3, generator: &generator)
        let tasks = [TaskSpec(name: "regression", kind: .regression(outputs: 1)), TaskSpec(name: "classification", kind: .classification(classes: 3))]
        let model = MLP(inputSize: 8, sharedWidths: [64, 64],
                        heads: [(task: "regression", widths: [32, 1]), (task: "classification", widths: [32, 3])])
        let optimizer = OptimizerSetting(optimizer: Adam(), learningRate: 3e-3, schedule: .cosine(totalSteps: steps, minimum: 1e-4))
        // The real trainer, with equal weighting as the strategy.
        let trainer = Trainer(model: model, tasks: tasks, strategy: EqualWeighting(), optimizers: OptimizerGroups(shared: optimizer),
                              configuration: TrainerConfiguration(steps: steps), data: ToyTwoTaskSource(data: data, batchSize: batchSize, seed: seed),
                              metrics: StandardMetrics.accumulator(for:), seed: seed)
        var curve: [(regression: Float, classification: Float)] = []
        let start = Date()
        print("Tandem demo: MLP 8→64→64, heads regression (MSE) and classification (3 classes), equal weights, Adam, the real Trainer")
        let selected = try trainer.run(progress: { record in
            let regression = Float(record.losses["regression"]!), classification = Float(record.losses["classification"]!)
            curve.append((regression, classification))
            if record.step % 50 == 0 || record.step == steps - 1 {
                print(String(format: "step %4d  regression %.4f  classification %.4f", record.step, regression, classification))
            }
        })
        let validation = selected["validation"] ?? [:]
        print("\nloss curve (one column per \(max(1, steps / 60)) steps):")
        print("  regression     " + sparkline(curve.map(\.regression), width: 60))
        print("  classification " + sparkline(curve.map(\.classification), width: 60))
        print(String(format: "\nvalidation: regression MSE %.4f (variance of target %.4f), classification accuracy %.1f%%  [%.1f s]",
                     validation["regression"]?["loss"] ?? .nan, data.validationTargetVariance,
                     (validation["classification"]?["accuracy"] ?? .nan) * 100, Date().timeIntervalSince(start)))
    }
}

/// The demo data as a training source: seeded uniform draws for training, the held-out samples for
/// validation.
final class ToyTwoTaskSource: TrainingDataSource {
    let data: ToyTwoTaskData
    let batchSize: Int
    var generator: SeededGenerator

    init(data: ToyTwoTaskData, batchSize: Int, seed: UInt64) {
        self.data = data
        self.batchSize = batchSize
        generator = SeededGenerator(seed: seed &+ 1)
    }

    func batch(_ tensors: (Tensor, Tensor, Tensor)) -> Batch {
        Batch(input: tensors.0, targets: ["regression": tensors.1, "classification": tensors.2])
    }

    var stepsPerEpoch: Int { max(1, data.trainingCount / batchSize) }
    func nextBatch(_ kind: BatchKind) -> Batch { batch(data.batch(size: batchSize, generator: &generator)) }
    func evaluationBatches(_ split: EvaluationSplit) -> [Batch] { split == .validation ? [batch(data.validation)] : [] }
    func saveState() -> StrategyState { StrategyState(words: ["generator": generator.state]) }
    func restoreState(_ state: StrategyState) throws { generator = try state.generator("generator") }
}

/// Two tasks on the same inputs: y = sin(x·a) + ½ x·b, and the class argmax(C x).
struct ToyTwoTaskData {
    let inputs: [[Float]], targets: [Float], labels: [Int]
    let validationCount = 512

    init(samples: Int, features: Int, classes: Int, generator: inout SeededGenerator) {
        let a = (0..<features).map { _ in generator.nextNormal() * 0.5 }
        let b = (0..<features).map { _ in generator.nextNormal() * 0.5 }
        let c = (0..<classes).map { _ in (0..<features).map { _ in generator.nextNormal() } }
        var inputs: [[Float]] = [], targets: [Float] = [], labels: [Int] = []
        for _ in 0..<(samples + validationCount) {
            let x = (0..<features).map { _ in generator.nextNormal() }
            let dotA = zip(x, a).reduce(0) { $0 + $1.0 * $1.1 }, dotB = zip(x, b).reduce(0) { $0 + $1.0 * $1.1 }
            inputs.append(x)
            targets.append(Foundation.sin(dotA) + 0.5 * dotB)
            let scores = c.map { row in zip(row, x).reduce(0) { $0 + $1.0 * $1.1 } }
            labels.append(scores.indices.max { scores[$0] < scores[$1] }!)
        }
        self.inputs = inputs; self.targets = targets; self.labels = labels
    }

    var trainingCount: Int { inputs.count - validationCount }

    func tensors(_ indices: [Int]) -> (Tensor, Tensor, Tensor) {
        (Tensor(shape: [indices.count, inputs[0].count], scalars: indices.flatMap { inputs[$0] }),
         Tensor(shape: [indices.count, 1], scalars: indices.map { targets[$0] }),
         Tensor(shape: [indices.count], scalars: indices.map { Float(labels[$0]) }))
    }

    func batch(size: Int, generator: inout SeededGenerator) -> (Tensor, Tensor, Tensor) {
        tensors((0..<size).map { _ in Int(generator.next() % UInt64(trainingCount)) })
    }

    var validation: (Tensor, Tensor, Tensor) { tensors(Array(trainingCount..<inputs.count)) }

    var validationTargetVariance: Float {
        let values = targets[trainingCount...]
        let mean = values.reduce(0, +) / Float(values.count)
        return values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(values.count)
    }
}

func argmaxRows(_ logits: Tensor) -> [Int] {
    let (rows, columns) = (logits.shape[0], logits.shape[1])
    let values = logits.scalars
    return (0..<rows).map { r in (0..<columns).max { values[r * columns + $0] < values[r * columns + $1] }! }
}

/// A one-line plot of `values` (averaged into `width` buckets) with block characters.
func sparkline(_ values: [Float], width: Int) -> String {
    let bucket = max(1, values.count / width)
    let means = stride(from: 0, to: values.count, by: bucket).map { start -> Float in
        let slice = values[start..<min(values.count, start + bucket)]
        return slice.reduce(0, +) / Float(slice.count)
    }
    guard let low = means.min(), let high = means.max(), high > low else { return String(repeating: "▁", count: means.count) }
    let blocks = Array("▁▂▃▄▅▆▇█")
    let line = means.map { blocks[min(7, Int((($0 - low) / (high - low)) * 7.999))] }
    return String(line) + String(format: "  %.3g → %.3g", means.first!, means.last!)
}
