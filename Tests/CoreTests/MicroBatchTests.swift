import XCTest
import Foundation
@testable import TandemCore

/// TinyModel with a batch-norm layer on its representation: z = BN(x·W_sᵀ).
struct TinyBatchNormModel: MultiTaskModel {
    let taskNames: [String]
    let norm = BatchNorm2D(name: "shared.norm", channels: 6)

    func initialParameters(generator: inout SeededGenerator) -> Parameters {
        TinyModel(taskNames: taskNames).initialParameters(generator: &generator).merging(norm.initialParameters(generator: &generator))
    }
    func initialBuffers() -> Parameters { norm.initialBuffers() }
    func encode(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        norm(matmul(input, context.parameters["shared.w"], transposeB: true), context)
    }
    func head(_ task: String, _ representation: Tensor, _ context: ForwardContext) -> Tensor {
        TinyModel(taskNames: taskNames).head(task, representation, context)
    }
}

/// `budget.micro_batches`: a step in S micro-batches is the step of the whole batch where the
/// model has no batch norm (up to the order of sums), and batch norm follows the micro-batches.
final class MicroBatchTests: XCTestCase {
    let tasks = [TaskSpec(name: "a", kind: .regression(outputs: 1), role: .primary),
                 TaskSpec(name: "b", kind: .regression(outputs: 1), role: .auxiliary)]

    func makeTrainer(_ model: any MultiTaskModel, microBatches: Int, strategy: any GradientCombiner) -> Trainer {
        Trainer(model: model, tasks: tasks, strategy: strategy,
                optimizers: OptimizerGroups(shared: OptimizerSetting(optimizer: SGD(momentum: 0.9), learningRate: 0.05)),
                configuration: TrainerConfiguration(steps: 3, microBatches: MicroBatches(count: microBatches)),
                data: TinyData(seed: 1), seed: 3)
    }

    func testRangesAreContiguousInSampleOrderWithTheRemainderFirst() {
        XCTAssertEqual(MicroBatches(count: 3).ranges(batchSize: 10), [0..<4, 4..<7, 7..<10])
        XCTAssertEqual(MicroBatches(count: 2).ranges(batchSize: 8), [0..<4, 4..<8])
        XCTAssertEqual(MicroBatches.none.ranges(batchSize: 5), [0..<5])
        XCTAssertEqual(MicroBatches(count: 4).ranges(batchSize: 3), [0..<1, 1..<2, 2..<3], "one micro-batch per sample")
    }

    /// What the strategy saw at each step, and the parameters after the steps.
    func trace(_ model: any MultiTaskModel, microBatches: Int, steps: Int = 3)
        throws -> (losses: [[String: Float]], atZ: [[String: [Float]]], atShared: [[String: [Float]]], parameters: Parameters, buffers: Parameters) {
        let strategy = SummingStrategy()
        strategy.requirements = [.representationGradients, .sharedParameterGradients]
        var losses: [[String: Float]] = [], atZ: [[String: [Float]]] = [], atShared: [[String: [Float]]] = []
        strategy.inspect = { context in
            losses.append(context.losses)
            atZ.append(try context.representationGradients().mapValues(\.scalars))
            atShared.append(try context.sharedParameterGradients().mapValues { $0["shared.w"].scalars })
        }
        let trainer = makeTrainer(model, microBatches: microBatches, strategy: strategy)
        for _ in 0..<steps { _ = try trainer.trainStep() }
        return (losses, atZ, atShared, trainer.parameters, trainer.buffers)
    }

    func assertClose(_ a: [Float], _ b: [Float], relative: Float, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, message, file: file, line: line)
        let scale = max(a.map(abs).max() ?? 0, 1e-6)
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, relative * scale, "\(message): largest difference \(worst) of values up to \(scale)", file: file, line: line)
    }

    func testWithoutBatchNormEveryMicroBatchCountGivesTheWholeBatchStep() throws {
        let model = TinyModel(taskNames: ["a", "b"])
        let whole = try trace(model, microBatches: 1)
        for count in [2, 3, 8] {
            let split = try trace(model, microBatches: count)
            for step in 0..<3 {
                for task in ["a", "b"] {
                    XCTAssertEqual(split.losses[step][task]!, whole.losses[step][task]!, accuracy: 1e-6 * max(1, whole.losses[step][task]!),
                                   "S=\(count) step \(step) loss \(task)")
                    assertClose(split.atZ[step][task]!, whole.atZ[step][task]!, relative: 1e-5, "S=\(count) step \(step) ∂L_\(task)/∂z")
                    assertClose(split.atShared[step][task]!, whole.atShared[step][task]!, relative: 1e-5, "S=\(count) step \(step) ∇θ_s L_\(task)")
                }
            }
            for name in whole.parameters.names {
                assertClose(split.parameters[name].scalars, whole.parameters[name].scalars, relative: 1e-5, "S=\(count) \(name) after 3 steps")
            }
        }
    }

    func testOneMicroBatchIsTheStepWithoutMicroBatchesBitForBit() throws {
        let model = TinyBatchNormModel(taskNames: ["a", "b"])
        let strategy = SummingStrategy()
        let plain = Trainer(model: model, tasks: tasks, strategy: strategy,
                            optimizers: OptimizerGroups(shared: OptimizerSetting(optimizer: SGD(momentum: 0.9), learningRate: 0.05)),
                            configuration: TrainerConfiguration(steps: 3), data: TinyData(seed: 1), seed: 3)
        let one = makeTrainer(model, microBatches: 1, strategy: SummingStrategy())
        for _ in 0..<3 {
            let (a, b) = (try plain.trainStep(), try one.trainStep())
            XCTAssertEqual(a.losses, b.losses)
        }
        for name in plain.parameters.names { XCTAssertEqual(plain.parameters[name].scalars, one.parameters[name].scalars, name) }
        for name in plain.buffers.names { XCTAssertEqual(plain.buffers[name].scalars, one.buffers[name].scalars, name) }
    }

    /// With batch norm each micro-batch is normalised with its own statistics, and the running
    /// statistics move once per micro-batch, in order.
    func testBatchNormNormalisesEachMicroBatchOnItsOwn() throws {
        let model = TinyBatchNormModel(taskNames: ["a", "b"])
        let batch = TinyData(seed: 1).nextBatch(.full)   // the trainer's first batch
        let trainer = makeTrainer(model, microBatches: 2, strategy: SummingStrategy())
        let start = trainer.parameters, startBuffers = trainer.buffers

        // Expected: the model on each half of the batch by itself.
        let sink = BatchNormStatisticsSink()
        let context = ForwardContext(parameters: start, buffers: startBuffers, isTraining: true, statistics: sink)
        let halves = [0..<4, 4..<8].map { model.encode(batch.input.slice(axis: 0, range: $0), context) }
        var expectedLosses: [String: Float] = [:]
        for task in tasks {
            let parts = zip([0..<4, 4..<8], halves).map { range, z in
                task.kind.loss(prediction: model.head(task.name, z, context), target: batch.targets[task.name]!.slice(axis: 0, range: range)).scalar
            }
            expectedLosses[task.name] = parts[0] * 0.5 + parts[1] * 0.5
        }
        let expectedBuffers = sink.updatedBuffers(startBuffers, momentum: 0.1)

        let record = try trainer.trainStep()
        for task in ["a", "b"] { XCTAssertEqual(Float(record.losses[task]!), expectedLosses[task]!, accuracy: 1e-6, task) }
        for name in startBuffers.names {
            assertClose(trainer.buffers[name].scalars, expectedBuffers[name].scalars, relative: 1e-6, name)
        }

        // And it is not the whole batch's step: the statistics differ.
        let whole = makeTrainer(model, microBatches: 1, strategy: SummingStrategy())
        _ = try whole.trainStep()
        XCTAssertNotEqual(whole.buffers["shared.norm.runningMean"].scalars, trainer.buffers["shared.norm.runningMean"].scalars)
    }
}
