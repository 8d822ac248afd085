import Foundation
import TandemCore
import TandemModels
import TandemStrategies

// The cost of TMT (issue 10) against an equal-weighting step, through the real trainer:
// SplitVGG-x at the paper's widths, segmentation primary + depth auxiliary (the paper's Table 1
// pair), one fixed random batch. Each mode runs in its own process so its peak resident memory
// is its own:
//
//   tandem-bench tmt mode=ew          # EW step, both tasks labelled
//   tandem-bench tmt mode=auxiliary   # TMT auxiliary step (auxiliary-only batch, projected gradient)
//   tandem-bench tmt mode=meta meta_gradient=exact|finite-difference primary_gradient=first-order|exact|plain
//   options: split=3 batch=8 height=64 width=96 rank=5
//
// Amortised TMT at k: ((k − 1)·auxiliary + meta)/k.

/// A data source that hands out one fixed batch, with the labels its kind carries.
final class FixedBatchSource: TrainingDataSource {
    let batch: Batch
    let auxiliaryTasks: [String]
    let stepsPerEpoch: Int
    init(batch: Batch, auxiliaryTasks: [String], stepsPerEpoch: Int = 1_000_000) {
        self.batch = batch
        self.auxiliaryTasks = auxiliaryTasks
        self.stepsPerEpoch = stepsPerEpoch
    }
    func nextBatch(_ kind: BatchKind) -> Batch {
        kind == .auxiliaryOnly ? Batch(input: batch.input, targets: batch.targets.filter { auxiliaryTasks.contains($0.key) }) : batch
    }
    func evaluationBatches(_ split: EvaluationSplit) -> [Batch] { [] }
    func saveState() -> StrategyState { StrategyState() }
    func restoreState(_ state: StrategyState) throws {}
}

func runTMTBenchmark(_ arguments: [String]) {
    let options = BenchmarkOptions(arguments)
    let mode = options.string("mode", "meta")
    let split = options.int("split", 3), batchSize = options.int("batch", 8)
    let height = options.int("height", 64), width = options.int("width", 96)
    let tasks = [TaskSpec(name: "segmentation", kind: .segmentation(classes: 13), role: .primary),
                 TaskSpec(name: "depth", kind: .depth, role: .auxiliary)]
    let model = SplitVGG(split: split, heads: [DenseTaskHead(task: "segmentation", channels: 13), DenseTaskHead(task: "depth", channels: 1)])
    var generator = SeededGenerator(seed: UInt64(options.int("seed", 1)))
    let input = Tensor.randomNormal([batchSize, 3, height, width], generator: &generator)
    var targets: [String: Tensor] = [:]
    for task in tasks { targets[task.name] = randomTarget(task.kind, batch: batchSize, height: height, width: width, generator: &generator) }
    let data = FixedBatchSource(batch: Batch(input: input, targets: targets), auxiliaryTasks: ["depth"])

    let strategy: any GradientCombiner
    let schedule: LabelSchedule
    switch mode {
    case "ew":
        strategy = EqualWeighting()
        schedule = .full
    case "auxiliary", "meta":
        do {
            strategy = try TaskMetaTransfer(tasks: tasks, rank: options.int("rank", 5),
                                            metaGradient: TaskMetaTransfer.MetaGradient(rawValue: options.string("meta_gradient", "exact")) ?? .exact,
                                            primaryGradient: TaskMetaTransfer.PrimaryGradient(rawValue: options.string("primary_gradient", "first-order")) ?? .firstOrder)
        } catch { fail("tmt: \(error)") }
        schedule = .alternating(every: mode == "meta" ? 1 : 1_000_000_000)
    default:
        fail("tmt: mode must be ew, auxiliary or meta")
    }
    let groups = OptimizerGroups(shared: OptimizerSetting(optimizer: SGD(), learningRate: 0.01),
                                 strategy: OptimizerSetting(optimizer: Adam(weightDecay: 1e-5), learningRate: 1e-3))
    let trainer = Trainer(model: model, tasks: tasks, strategy: strategy, optimizers: groups,
                          configuration: TrainerConfiguration(steps: Int.max, labelSchedule: schedule), data: data, seed: 1)
    var lastLosses: [String: Double] = [:]
    let timing = measure(options.policy) {
        do { lastLosses = try trainer.trainStep().losses } catch { fail("tmt: \(error)") }
    }
    report(["benchmark": "tmt", "mode": mode, "model": "splitvgg-\(split)",
            "meta_gradient": mode == "meta" ? options.string("meta_gradient", "exact") : "-",
            "primary_gradient": mode == "meta" ? options.string("primary_gradient", "first-order") : "-",
            "shape": "\(batchSize)x3x\(height)x\(width)", "last_losses": lastLosses,
            "peak_rss_mib": peakResidentMiB(), "peak_minus_baseline_mib": peakResidentMiB() - baselineResidentMiB], timing)
}
