import XCTest
@testable import TandemCore
import TandemStrategies

/// z = relu(batchNorm(x·W_sᵀ)), head t: z·W_tᵀ + b_t — a model with batch-norm statistics and head
/// parameters, to check that lookaheads touch neither.
struct BatchNormTinyModel: MultiTaskModel {
    let taskNames = ["a", "b", "c"]
    let norm = BatchNorm2D(name: "shared.norm", channels: 6)

    func initialParameters(generator: inout SeededGenerator) -> Parameters {
        var p = Parameters([("shared.w", Tensor.randomNormal([6, 4], standardDeviation: 0.5, generator: &generator))])
        p = p.merging(norm.initialParameters(generator: &generator))
        for task in taskNames {
            p["heads.\(task).w"] = Tensor.randomNormal([1, 6], standardDeviation: 0.5, generator: &generator)
            p["heads.\(task).b"] = Tensor.zeros([1])
        }
        return p
    }
    func initialBuffers() -> Parameters { norm.initialBuffers() }
    func encode(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        relu(norm(matmul(input, context.parameters["shared.w"], transposeB: true), context))
    }
    func head(_ task: String, _ representation: Tensor, _ context: ForwardContext) -> Tensor {
        matmul(representation, context.parameters["heads.\(task).w"], transposeB: true) + context.parameters["heads.\(task).b"].reshaped([1, 1])
    }
}

/// Seeded regression batches for tasks a, b, c.
final class TinyRegressionData: TrainingDataSource {
    var generator: SeededGenerator
    let stepsPerEpoch = 4
    init(seed: UInt64) { generator = SeededGenerator(seed: seed) }
    func nextBatch(_ kind: BatchKind) -> Batch {
        let x = Tensor.randomNormal([8, 4], generator: &generator)
        let v = x.scalars
        func target(_ f: (Int) -> Float) -> Tensor { Tensor(shape: [8, 1], scalars: (0..<8).map(f)) }
        return Batch(input: x, targets: ["a": target { v[$0 * 4] + 0.5 * v[$0 * 4 + 1] }, "b": target { -v[$0 * 4] + v[$0 * 4 + 2] },
                                         "c": target { v[$0 * 4 + 3] * 0.7 }])
    }
    func evaluationBatches(_ split: EvaluationSplit) -> [Batch] { [] }
    func saveState() -> StrategyState { StrategyState(words: ["generator": generator.state]) }
    func restoreState(_ state: StrategyState) throws { generator = try state.generator("generator") }
}

/// Checks around a strategy's encoder stage that the trainer's parameters, optimiser state and
/// batch-norm buffers are bit-identical before and after it ran (the lookahead only reads them).
final class StateSpy: GradientCombiner, EncoderStage {
    let inner: any GradientCombiner
    weak var trainer: Trainer?
    var checkedSteps = 0
    var name: String { inner.name }
    var decoder: any DecoderStage { inner.decoder }
    var encoder: any EncoderStage { self }
    var requirements: CombinerRequirements { inner.declaredRequirements }
    init(_ inner: any GradientCombiner) { self.inner = inner }

    static func bits(_ p: Parameters) -> [String: [UInt32]] {
        Dictionary(uniqueKeysWithValues: p.names.map { ($0, p[$0].scalars.map(\.bitPattern)) })
    }
    static func bits(_ states: [String: OptimizerState]) -> [String: [String: [UInt32]]] {
        var result: [String: [String: [UInt32]]] = [:]
        for (group, state) in states {
            result["\(group).step"] = ["": [UInt32(state.step)]]
            for (key, buffer) in state.buffers { result["\(group).\(key)"] = bits(buffer) }
        }
        return result
    }

    func encoderGradient(_ context: StepContext) throws -> EncoderGradient {
        let trainer = trainer!
        let before = (StateSpy.bits(trainer.parameters), StateSpy.bits(trainer.buffers), StateSpy.bits(trainer.optimizerStates))
        let result = try inner.encoder.encoderGradient(context)
        XCTAssertEqual(before.0, StateSpy.bits(trainer.parameters), "parameters changed by the lookahead")
        XCTAssertEqual(before.1, StateSpy.bits(trainer.buffers), "batch-norm statistics changed by the lookahead")
        XCTAssertEqual(before.2, StateSpy.bits(trainer.optimizerStates), "optimiser state changed by the lookahead")
        checkedSteps += 1
        return result
    }
}

final class IncreasedTransferCompositionTests: XCTestCase {
    let tasks = ["a", "b", "c"].map { TaskSpec(name: $0, kind: .regression(outputs: 1)) }

    func trainer(_ strategy: any GradientCombiner, optimizer: any Optimizer = SGD(momentum: 0.9)) -> Trainer {
        Trainer(model: BatchNormTinyModel(), tasks: tasks, strategy: strategy,
                optimizers: OptimizerGroups(shared: OptimizerSetting(optimizer: optimizer, learningRate: 0.05),
                                            strategy: OptimizerSetting(optimizer: SGD(), learningRate: 0.1)),
                configuration: TrainerConfiguration(steps: 10), data: TinyRegressionData(seed: 7), seed: 11)
    }

    func testLookaheadLeavesParametersOptimiserStateAndStatisticsUntouched() throws {
        for optimizer in [SGD(momentum: 0.9), Adam()] as [any Optimizer] {
            for strategy in [IncreasedTransfer(inner: UncertaintyWeighting(tasks: tasks)),
                             IncreasedTransfer(inner: PCGrad(seed: 1), candidates: .totalAndInner),
                             IncreasedTransfer(inner: EqualWeighting(), heads: .unchanged)] {
                let spy = StateSpy(strategy)
                let t = trainer(spy, optimizer: optimizer)
                spy.trainer = t
                var chosen: Set<String> = []
                for _ in 0..<4 {
                    let record = try t.trainStep()
                    chosen.formUnion(record.reports.filter { $0.key.hasPrefix("it.chosen.") && $0.value == 1 }.map(\.key))
                    XCTAssertEqual(record.reports.keys.filter { $0.hasPrefix("it.Z.") }.count, strategy.candidates == .totalAndInner ? 2 : 4)
                }
                XCTAssertEqual(spy.checkedSteps, 4)
                XCTAssertFalse(chosen.isEmpty)
                // The buffers did move in training (the check above is not vacuous).
                XCTAssertNotEqual(StateSpy.bits(t.buffers), StateSpy.bits(BatchNormTinyModel().initialBuffers()))
            }
        }
    }

    /// Training with the chosen candidates equals training with a strategy that applies exactly
    /// those directions without any lookahead: the lookahead leaves no trace on the run.
    func testChosenCandidateIsAppliedExactly() throws {
        let it = trainer(IncreasedTransfer(inner: EqualWeighting()))
        var choices: [[Double]] = []
        for _ in 0..<4 {
            let record = try it.trainStep()
            let name = record.reports.first { $0.key.hasPrefix("it.chosen.") && $0.value == 1 }!.key.dropFirst(10)
            choices.append(["a", "b", "c"].map { name == "all" || name.split(separator: "+").contains(Substring($0)) ? 1 : 0 })
        }
        let replay = trainer(FixedSubsets(choices))
        for _ in 0..<4 { _ = try replay.trainStep() }
        XCTAssertEqual(StateSpy.bits(it.parameters), StateSpy.bits(replay.parameters))
        XCTAssertEqual(StateSpy.bits(it.buffers), StateSpy.bits(replay.buffers))
    }

    /// With a single candidate there is nothing to choose, and IT is its inner strategy bit for bit.
    func testOneCandidateEqualsTheInnerStrategy() throws {
        let pairs: [(any GradientCombiner, any GradientCombiner)] = [
            (UncertaintyWeighting(tasks: tasks), IncreasedTransfer(inner: UncertaintyWeighting(tasks: tasks), candidates: .subsets([["a", "b", "c"]], includingInner: false))),
            (PCGrad(seed: 5), IncreasedTransfer(inner: PCGrad(seed: 5), candidates: .subsets([], includingInner: true))),
            (EqualWeighting(), IncreasedTransfer(inner: EqualWeighting(), candidates: .subsets([["c", "b", "a"]], includingInner: false))),
        ]
        for (plain, composed) in pairs {
            let a = trainer(plain), b = trainer(composed)
            for _ in 0..<5 { _ = try a.trainStep(); _ = try b.trainStep() }
            XCTAssertEqual(StateSpy.bits(a.parameters), StateSpy.bits(b.parameters), "\(composed.name)")
            XCTAssertEqual(StateSpy.bits(a.strategy.decoder.ownParameters), StateSpy.bits(b.strategy.decoder.ownParameters))
            XCTAssertEqual(StateSpy.bits(a.optimizerStates), StateSpy.bits(b.optimizerStates))
            XCTAssertEqual(a.strategy.saveStrategyState(), b.strategy.saveStrategyState())
        }
    }

    func testStateRoundTripsThroughTheInnerStrategy() throws {
        let first = IncreasedTransfer(inner: PCGrad(seed: 9), candidates: .totalAndInner)
        let t = trainer(first)
        _ = try t.trainStep()
        let saved = first.saveStrategyState()
        let second = IncreasedTransfer(inner: PCGrad(seed: 1), candidates: .totalAndInner)
        try second.restoreStrategyState(saved)
        XCTAssertEqual(second.saveStrategyState(), saved)
    }
}

/// Applies given subset row weights step by step (no lookahead) — the replay of IT's choices.
final class FixedSubsets: GradientCombiner, DecoderStage, EncoderStage {
    var weights: [[Double]]
    let name = "fixed"
    var ownParameters = Parameters()
    var decoder: any DecoderStage { self }
    var encoder: any EncoderStage { self }
    var requirements: CombinerRequirements { .sharedParameterGradients }
    init(_ weights: [[Double]]) { self.weights = weights }

    func decoderLoss(_ losses: [String: Tensor], ownParameters: Parameters, context: StepContext) throws -> Tensor {
        context.taskNames.map { losses[$0]! }.reduce(Tensor(0), +)
    }
    func encoderGradient(_ context: StepContext) throws -> EncoderGradient {
        let perTask = try context.sharedParameterGradients()
        let names = context.taskNames
        let matrix = try TaskGradientMatrix(rows: names.map { perTask[$0]!.flattened().scalars })
        let flat = try matrix.combine(weights: weights.removeFirst())
        return .sharedParameters(Parameters(unflattening: Tensor(shape: [flat.count], scalars: flat), like: perTask[names[0]]!))
    }
}
