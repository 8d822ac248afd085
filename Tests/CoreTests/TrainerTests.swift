import XCTest
import Foundation
@testable import TandemCore

/// A two-layer model: z = relu(x·W_sᵀ), head t: z·W_tᵀ.
struct TinyModel: MultiTaskModel {
    let taskNames: [String]
    let inputs = 4, hidden = 6

    func initialParameters(generator: inout SeededGenerator) -> Parameters {
        var p = Parameters([("shared.w", Tensor.randomNormal([hidden, inputs], standardDeviation: 0.5, generator: &generator))])
        for task in taskNames { p["heads.\(task).w"] = Tensor.randomNormal([1, hidden], standardDeviation: 0.5, generator: &generator) }
        return p
    }
    func initialBuffers() -> Parameters { Parameters() }
    func encode(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        tanh(matmul(input, context.parameters["shared.w"], transposeB: true))
    }
    func head(_ task: String, _ representation: Tensor, _ context: ForwardContext) -> Tensor {
        matmul(representation, context.parameters["heads.\(task).w"], transposeB: true)
    }
}

/// Seeded regression data for tasks "a" (primary) and "b" (auxiliary); remembers what it drew.
final class TinyData: TrainingDataSource {
    var generator: SeededGenerator
    var drawn: [BatchKind] = []
    let stepsPerEpoch = 5
    var poisonAtDraw: Int? = nil

    init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

    func make(_ count: Int, labels: [String]) -> Batch {
        let x = Tensor.randomNormal([count, 4], generator: &generator)
        var targets: [String: Tensor] = [:]
        let values = x.scalars
        for task in labels {
            let sign: Float = task == "a" ? 1 : -0.5
            targets[task] = Tensor(shape: [count, 1], scalars: (0..<count).map { r in sign * (values[r * 4] + 0.5 * values[r * 4 + 1]) })
        }
        return Batch(input: x, targets: targets)
    }

    func nextBatch(_ kind: BatchKind) -> Batch {
        drawn.append(kind)
        var batch = make(8, labels: kind == .auxiliaryOnly ? ["b"] : ["a", "b"])
        if let poison = poisonAtDraw, drawn.count == poison {
            batch.targets["b"] = Tensor.filled([8, 1], with: .nan)
        }
        return batch
    }

    func evaluationBatches(_ split: EvaluationSplit) -> [Batch] {
        var fixed = SeededGenerator(seed: split == .validation ? 100 : 200)
        swap(&fixed, &generator)
        defer { swap(&fixed, &generator) }
        return [make(16, labels: ["a", "b"])]
    }

    func saveState() -> StrategyState { StrategyState(words: ["generator": generator.state]) }
    func restoreState(_ state: StrategyState) throws { generator = try state.generator("generator") }
}

/// A test strategy: equal weights; records the contexts it saw.
final class SummingStrategy: GradientCombiner, DecoderStage, EncoderStage {
    let name = "summing"
    var ownParameters = Parameters()
    var decoder: any DecoderStage { self }
    var encoder: any EncoderStage { self }
    var requirements: CombinerRequirements = .losses
    var inspect: ((StepContext) throws -> Void)?

    func decoderLoss(_ losses: [String: Tensor], ownParameters: Parameters, context: StepContext) -> Tensor {
        context.taskNames.map { losses[$0]! }.reduce(Tensor(0), +)
    }
    func encoderGradient(_ context: StepContext) throws -> EncoderGradient {
        try inspect?(context)
        return .lossWeights(Dictionary(uniqueKeysWithValues: context.taskNames.map { ($0, 1) }))
    }
}

/// A strategy with one meta-parameter m stepped along gradient 1 every step (and a post-step hook
/// that reads the losses after the update).
final class MetaCounting: GradientCombiner, DecoderStage, EncoderStage {
    let name = "meta-counting"
    var metaParameters = Parameters([("m", Tensor(shape: [1], scalars: [1]))])
    var decoder: any DecoderStage { self }
    var encoder: any EncoderStage { self }
    var requirements: CombinerRequirements { .lossesAfterUpdate }
    var lossesAfter: [String: Float] = [:]

    func decoderLoss(_ losses: [String: Tensor], ownParameters: Parameters, context: StepContext) throws -> Tensor {
        context.taskNames.map { losses[$0]! }.reduce(Tensor(0), +)
    }
    func encoderGradient(_ context: StepContext) throws -> EncoderGradient {
        metaParameters = try context.stepMetaParameters(metaParameters, gradients: Parameters([("m", Tensor(shape: [1], scalars: [1]))]))
        return .lossWeights(context.decoderWeights)
    }
    func stepFinished(_ context: StepContext) throws { lossesAfter = try context.lossesAfterUpdate() }
}

final class TrainerTests: XCTestCase {
    let tasks = [TaskSpec(name: "a", kind: .regression(outputs: 1), role: .primary),
                 TaskSpec(name: "b", kind: .regression(outputs: 1), role: .auxiliary)]

    func makeTrainer(steps: Int, schedule: LabelSchedule = .full, strategy: any GradientCombiner = SummingStrategy(),
                     data: TinyData = TinyData(seed: 1), evaluateEvery: Int? = nil, frozenHeads: Set<String> = []) -> Trainer {
        Trainer(model: TinyModel(taskNames: ["a", "b"]), tasks: tasks, strategy: strategy,
                optimizers: OptimizerGroups(shared: OptimizerSetting(optimizer: SGD(momentum: 0.9), learningRate: 0.05)),
                configuration: TrainerConfiguration(steps: steps, labelSchedule: schedule, evaluateEvery: evaluateEvery, frozenHeads: frozenHeads),
                data: data, seed: 3)
    }

    /// A step keeps nothing alive once it returns: the step engine's closures once held the
    /// engine itself, so every step's graph and batch leaked (1.8 MB a step on MultiLeNet b256).
    func testTrainingStepsLeaveLiveTensorMemoryAtItsLevel() throws {
        let trainer = makeTrainer(steps: 20)
        for _ in 0..<3 { _ = try trainer.trainStep() }
        let level = TensorMemory.liveBytes
        for _ in 0..<10 { _ = try trainer.trainStep() }
        XCTAssertEqual(TensorMemory.liveBytes, level, "live tensor memory grew across trainer steps")
    }

    func testKAlternationDrawsTheRightBatches() throws {
        let data = TinyData(seed: 1)
        let trainer = makeTrainer(steps: 9, schedule: .alternating(every: 3), data: data)
        var recorded: [BatchKind] = []
        try trainer.run(progress: { recorded.append($0.batchKind) })
        let expected: [BatchKind] = [.auxiliaryOnly, .auxiliaryOnly, .parallel, .auxiliaryOnly, .auxiliaryOnly, .parallel,
                                     .auxiliaryOnly, .auxiliaryOnly, .parallel]
        XCTAssertEqual(data.drawn, expected)
        XCTAssertEqual(recorded, expected)
    }

    func testAuxiliaryOnlyStepLeavesThePrimaryHeadAlone() throws {
        let trainer = makeTrainer(steps: 1, schedule: .alternating(every: 2))
        let before = trainer.parameters
        _ = try trainer.trainStep()
        XCTAssertEqual(trainer.parameters["heads.a.w"].scalars, before["heads.a.w"].scalars)
        XCTAssertNotEqual(trainer.parameters["heads.b.w"].scalars, before["heads.b.w"].scalars)
        XCTAssertNotEqual(trainer.parameters["shared.w"].scalars, before["shared.w"].scalars)
    }

    func testAFrozenHeadNeverMovesButStillTrainsTheEncoder() throws {
        let frozen = makeTrainer(steps: 3, frozenHeads: ["b"])
        let free = makeTrainer(steps: 3)
        let before = frozen.parameters
        for _ in 0..<3 { _ = try frozen.trainStep(); _ = try free.trainStep() }
        XCTAssertEqual(frozen.parameters["heads.b.w"].scalars, before["heads.b.w"].scalars, "the frozen head stays at its initial values")
        XCTAssertNotEqual(frozen.parameters["heads.a.w"].scalars, before["heads.a.w"].scalars)
        XCTAssertNotEqual(frozen.parameters["shared.w"].scalars, before["shared.w"].scalars)
        XCTAssertNotEqual(frozen.parameters["shared.w"].scalars, free.parameters["shared.w"].scalars,
                          "the encoder still receives the frozen task's gradient, through a different head")
        // A lookahead mirrors the real step: the frozen head does not move in it either.
        let strategy = SummingStrategy()
        let trainer = makeTrainer(steps: 2, strategy: strategy, frozenHeads: ["b"])
        var simulated: Parameters?
        strategy.inspect = { context in
            simulated = context.simulatedStep(gradients: context.parameters.map { Tensor.ones($1.shape) })
        }
        _ = try trainer.trainStep()
        XCTAssertFalse(simulated!.contains("heads.b.w"))
        XCTAssertTrue(simulated!.contains("heads.a.w"))
    }

    func testTrainingLowersBothLosses() throws {
        let trainer = makeTrainer(steps: 150)
        try trainer.evaluateNow()
        try trainer.run()
        let first = trainer.history.first!.metrics["validation"]!, last = trainer.history.last!.metrics["validation"]!
        XCTAssertLessThan(last["a"]!["loss"]!, first["a"]!["loss"]! * 0.5)
        XCTAssertLessThan(last["b"]!["loss"]!, first["b"]!["loss"]! * 0.5)
    }

    func testNonFiniteLossIsCaughtAndNamed() {
        let data = TinyData(seed: 1)
        data.poisonAtDraw = 4
        let trainer = makeTrainer(steps: 10, data: data)
        XCTAssertThrowsError(try trainer.run()) { error in
            XCTAssertEqual(error as? NonFiniteValueError, NonFiniteValueError(step: 3, task: "b", quantity: "training loss"))
            XCTAssertTrue("\(error)".contains("step 3"))
            XCTAssertTrue("\(error)".contains("'b'"))
        }
    }

    func testSimulatedStepEqualsTheRealStep() throws {
        let strategy = SummingStrategy()
        let trainer = makeTrainer(steps: 4, strategy: strategy)
        for _ in 0..<2 { _ = try trainer.trainStep() }   // non-trivial momentum state
        var simulated: Parameters?
        var gradients: Parameters?
        strategy.requirements = [.sharedParameterGradients, .extraForwardPasses]
        strategy.inspect = { context in
            let perTask = try context.sharedParameterGradients()
            let shared = perTask["a"]! + perTask["b"]!
            // heads get their own gradients under equal weights
            var all = shared
            let tracked = context.parameters.tracked()
            let losses = try context.losses(at: tracked)
            let headGradients = grad(of: losses["a"]! + losses["b"]!, wrt: tracked.filter(prefix: "heads."))
            all = all.merging(headGradients)
            gradients = all
            simulated = context.simulatedStep(gradients: all)
        }
        let stateBefore = trainer.optimizerStates["shared"]!.buffers["momentum"]!["shared.w"].scalars
        _ = try trainer.trainStep()
        let real = trainer.parameters
        XCTAssertNotNil(gradients)
        for name in real.names {
            let a = simulated![name].scalars, b = real[name].scalars
            for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-6, name) }
        }
        // Simulation did not touch the optimiser state it read.
        XCTAssertNotEqual(trainer.optimizerStates["shared"]!.buffers["momentum"]!["shared.w"].scalars, stateBefore)
    }

    func testStepContextDrawsParallelAndSecondBatchesAndEvaluatesAtOtherParameters() throws {
        let strategy = SummingStrategy()
        let data = TinyData(seed: 2)
        let trainer = makeTrainer(steps: 2, schedule: .alternating(every: 10), strategy: strategy, data: data)
        var checked = false
        strategy.requirements = [.parallelMetaSteps, .secondBatch, .extraForwardPasses]
        strategy.inspect = { context in
            XCTAssertEqual(context.taskNames, ["b"], "an auxiliary-only batch labels only the auxiliary task")
            let parallel = try context.parallelBatch()
            XCTAssertTrue(parallel.hasLabels(for: "a") && parallel.hasLabels(for: "b"))
            XCTAssertEqual(Array(data.drawn.suffix(1)), [.parallel])
            let second = try context.secondBatch()
            XCTAssertEqual(second.input.shape, [8, 4])
            // Losses at substituted parameters equal a forward pass at those parameters.
            let moved = Parameters([("heads.b.w", context.parameters["heads.b.w"] * 2)])
            let viaContext = try context.losses(at: moved)["b"]!.scalar
            let direct = try context.losses(at: Parameters())["b"]!.scalar
            XCTAssertNotEqual(viaContext, direct)
            XCTAssertEqual(direct, context.losses["b"]!, accuracy: 1e-6)
            checked = true
        }
        _ = try trainer.trainStep()
        XCTAssertTrue(checked)
    }

    func testAskingForAnUndeclaredQuantityIsAContractErrorNamingTheStepAndStrategy() {
        let asks: [(CombinerRequirements, (StepContext) throws -> Void, String)] = [
            (.losses, { _ = try $0.representationGradients() }, "representationGradients"),
            (.representationGradients, { _ = try $0.sharedParameterGradients() }, "sharedParameterGradients"),
            (.sharedParameterGradients, { _ = try $0.losses(at: Parameters()) }, "extraForwardPasses"),
            (.losses, { _ = try $0.secondBatch() }, "secondBatch"),
            (.losses, { _ = try $0.parallelBatch() }, "parallelMetaSteps"),
            (.losses, { _ = try $0.encoderVectorJacobianProduct(Tensor.zeros([8, 3]), createGraph: true) }, "secondOrderGradients"),
        ]
        for (declared, ask, missing) in asks {
            let strategy = SummingStrategy()
            strategy.requirements = declared
            strategy.inspect = ask
            XCTAssertThrowsError(try makeTrainer(steps: 3, strategy: strategy).trainStep()) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains("step 0") && text.contains("'summing'") && text.contains(missing), text)
            }
        }
    }

    func testMetaParametersStepWithTheStrategyOptimiserAndSurviveACheckpoint() throws {
        let strategy = MetaCounting()
        let trainer = makeTrainer(steps: 4, strategy: strategy)
        for _ in 0..<2 { _ = try trainer.trainStep() }
        // SGD with momentum 0.9 (the shared group's optimiser is also the strategy group's), lr 0.05, gradient 1:
        // buffer 1 then 1.9; m = 1 − 0.05 − 0.05·1.9.
        XCTAssertEqual(strategy.metaParameters["m"].scalar, 1 - 0.05 - 0.095, accuracy: 1e-6)
        let checkpoint = try trainer.checkpoint()
        let resumed = makeTrainer(steps: 4, strategy: MetaCounting())
        try resumed.restore(from: checkpoint)
        _ = try trainer.trainStep()
        _ = try resumed.trainStep()
        XCTAssertEqual((resumed.strategy as! MetaCounting).metaParameters["m"].scalars, strategy.metaParameters["m"].scalars)
        XCTAssertEqual(resumed.optimizerStates["meta"]!.buffers["momentum"]!["m"].scalars, trainer.optimizerStates["meta"]!.buffers["momentum"]!["m"].scalars)
        XCTAssertFalse(strategy.lossesAfter.isEmpty, "the post-step hook saw the losses after the update")
    }

    func testConsecutiveWindowSelection() {
        // Validation errors with the lowest 3-window mean at steps 4…6 (not the single best at 9).
        let errors: [Double] = [5, 4, 3, 2.5, 1.2, 1.1, 1.3, 3, 4, 0.5, 6]
        let history = errors.enumerated().map { index, error in
            EvaluationPoint(step: index * 200, validationError: error,
                            metrics: ["test": ["seg": ["miou": Double(index)]]])
        }
        XCTAssertEqual(ModelSelection.consecutiveWindow(3).select(from: history), [4, 5, 6])
        XCTAssertEqual(ModelSelection.consecutiveWindow(3).selectedMetrics(from: history)["test"]!["seg"]!["miou"], 5)
        XCTAssertEqual(ModelSelection.best.select(from: history), [9])
        XCTAssertEqual(ModelSelection.last.select(from: history), [10])
        XCTAssertEqual(ModelSelection.consecutiveWindow(10).select(from: history), Array(0...9))   // 2.56 < 2.66
        XCTAssertEqual(ModelSelection.consecutiveWindow(20).select(from: history), Array(0...10))
    }

    func testCheckpointResumeGivesIdenticalNumbers() throws {
        let uninterrupted = makeTrainer(steps: 12, schedule: .alternating(every: 3))
        try uninterrupted.run()

        let first = makeTrainer(steps: 12, schedule: .alternating(every: 3))
        for _ in 0..<7 { _ = try first.trainStep() }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-test-\(UUID().uuidString).ckpt")
        defer { try? FileManager.default.removeItem(at: url) }
        try first.checkpoint().write(to: url)

        let resumed = makeTrainer(steps: 12, schedule: .alternating(every: 3), data: TinyData(seed: 999))
        try resumed.restore(from: Checkpoint.read(from: url), source: url.path)
        XCTAssertEqual(resumed.step, 7)
        try resumed.run()
        for name in uninterrupted.parameters.names {
            XCTAssertEqual(resumed.parameters[name].scalars, uninterrupted.parameters[name].scalars, name)
        }
        XCTAssertEqual(resumed.optimizerStates["shared"]!.buffers["momentum"]!["shared.w"].scalars,
                       uninterrupted.optimizerStates["shared"]!.buffers["momentum"]!["shared.w"].scalars)
    }

    func testCorruptCheckpointIsAClearError() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-bad-\(UUID().uuidString).ckpt")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data("not a checkpoint".utf8).write(to: url)
        XCTAssertThrowsError(try Checkpoint.read(from: url)) { error in
            XCTAssertTrue("\(error)".contains(url.path))
        }
    }
}
