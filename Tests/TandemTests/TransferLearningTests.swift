import XCTest
import Foundation
@testable import Tandem
@testable import TandemCore

/// Transfer learning as two phases of one recipe (`pretraining:`): how the phases are derived,
/// the fine-tuning starting from the pre-training's best encoder, early stopping, resuming after
/// the first phase, and every refusal naming its file and what differs.
final class TransferLearningTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-transfer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    static let pretrainingSection = """
    pretraining:
      optimizer: {learning_rate: 0.05}
      heads_optimizer: {learning_rate: 0.05}
      budget: {steps: 12}
      evaluation: {every: 3}
    """

    /// A tiny transfer-learning recipe (segmentation primary on a quarter of the images, depth
    /// auxiliary); `pretraining` replaces its `pretraining:` section.
    func recipeFile(pretraining: String = TransferLearningTests.pretrainingSection, tasks: String? = nil, model: String = "{name: splitvgg, split: 3, width: 0.125}") throws -> String {
        let text = """
        name: transfer
        seed: 3
        dataset: {name: synthetic-scenes, train: 48, validation: 8, test: 8, height: 32, width: 32, seed: 2}
        tasks: \(tasks ?? "[{name: segmentation, role: primary}, {name: depth, role: auxiliary}]")
        model: \(model)
        strategy: ew
        labels: {parallel_fraction: 0.25, alternate_every: 3}
        optimizer: {name: sgd, learning_rate: 0.01, momentum: 0.9, schedule: half_at_midpoint}
        heads_optimizer: {learning_rate: 0.1}
        budget: {steps: 6, batch_size: 4}
        evaluation: {every: 3, selection: best, criterion: segmentation.mIoU, batch_size: 8}
        output: \(folder.path)/run
        \(pretraining)

        """
        let url = folder.appendingPathComponent("recipe-\(UUID().uuidString).yaml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func records(_ url: URL) throws -> [StepRecord] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { try JSONDecoder().decode(StepRecord.self, from: Data($0.utf8)) }
    }

    func testPhasesAreDerivedFromTheRecipe() throws {
        let recipe = try Recipe.load(try recipeFile())
        // Phase 2 (the recipe itself): the primary task only, every batch from the parallel set X.
        XCTAssertEqual(recipe.tasks.map(\.name), ["segmentation"])
        XCTAssertEqual(recipe.parallelFraction, 0.25)
        XCTAssertEqual(recipe.alternateEvery, 1)
        XCTAssertEqual(recipe.steps, 6)
        XCTAssertEqual(recipe.optimizer.learningRate, 0.01)
        XCTAssertEqual(recipe.headsOptimizer.learningRate, 0.1)
        XCTAssertEqual(recipe.headsOptimizer.momentum, 0.9, "heads_optimizer inherits the optimizer's other settings")
        XCTAssertEqual(recipe.selection, .best)
        XCTAssertNotNil(recipe.fingerprint["pretraining"], "a changed pre-training changes the fine-tuning's numbers")

        // Phase 1: the auxiliary task as the only (primary) task on every image, equal weighting,
        // the pretraining sections over the recipe's, early stopping on the validation loss.
        let phase = try XCTUnwrap(try recipe.pretrainingRecipe())
        XCTAssertEqual(phase.tasks.map(\.name), ["depth"])
        XCTAssertEqual(phase.tasks.map(\.role), [.primary])
        XCTAssertNil(phase.parallelFraction)
        XCTAssertNil(phase.alternateEvery)
        XCTAssertEqual(phase.strategy.name, "ew")
        XCTAssertEqual(phase.steps, 12)
        XCTAssertEqual(phase.batchSize, 4)
        XCTAssertEqual(phase.optimizer.learningRate, 0.05)
        XCTAssertEqual(phase.optimizer.momentum, 0.9)
        XCTAssertEqual(phase.headsOptimizer.learningRate, 0.05)
        XCTAssertEqual(phase.selection, .best)
        XCTAssertEqual(phase.criterion, "loss")
        XCTAssertEqual(phase.evaluateEvery, 3)
        XCTAssertEqual(phase.evaluationBatchSize, 8)
        XCTAssertEqual(phase.seed, recipe.seed)
        XCTAssertNil(try phase.pretrainingRecipe())
        XCTAssertNoThrow(try Experiment.check(recipe))

        // The suites' cost estimate counts both phases: 1 (EW) + 1 × 12/6 steps.
        XCTAssertEqual(try StrategyCost.factor(of: recipe), 3, accuracy: 1e-12)
    }

    func testRecipesThatCannotBeTwoPhasesAreRefusedWithTheirLocation() throws {
        func refusal(_ path: String, overrides: [String] = []) -> String {
            do { _ = try Recipe.load(path, overrides: overrides); return "no error" } catch { return "\(error)" }
        }
        let model = refusal(try recipeFile(pretraining: "pretraining: {model: {name: splitres, split: 3}}"))
        XCTAssertTrue(model.contains("pretraining cannot set `model`") && model.contains(".yaml:13:"), model)
        let unknown = refusal(try recipeFile(pretraining: "pretraining: {budgett: {steps: 4}}"))
        XCTAssertTrue(unknown.contains("budgett") && unknown.contains("budget"), unknown)
        let noAuxiliary = refusal(try recipeFile(tasks: "[{name: segmentation, role: primary}]"),
                                  overrides: ["labels.alternate_every=1"])
        XCTAssertTrue(noAuxiliary.contains("needs at least one task with role auxiliary"), noAuxiliary)
        let noEvaluation = refusal(try recipeFile(pretraining: "pretraining: {budget: {steps: 4}}"), overrides: ["evaluation={batch_size: 8}"])
        XCTAssertTrue(noEvaluation.contains("pretraining needs `evaluation: {every: N}`"), noEvaluation)
        let badStep = refusal(try recipeFile(pretraining: "pretraining: {budget: {steps: 0}}"))
        XCTAssertTrue(badStep.contains("budget.steps") && badStep.contains(".yaml:13:"), badStep)
        let patience = refusal(try recipeFile(pretraining: ""), overrides: ["evaluation={patience: 2}"])
        XCTAssertTrue(patience.contains("evaluation.patience (early stopping) needs `every:`"), patience)
    }

    /// With the fine-tuning's backbone learning rate 0 the encoder must end exactly as the
    /// pre-training's best evaluation left it, which is not the fresh initialisation.
    func testFineTuningStartsFromThePretrainingsBestEncoder() throws {
        let recipe = try Recipe.load(try recipeFile(), overrides: ["optimizer.learning_rate=0"])
        let experiment = try Experiment(recipe: recipe, outputFolder: folder.appendingPathComponent("frozen"))
        let initial = experiment.trainer.parameters.shared
        let result = try experiment.run()

        let pretraining = experiment.pretrainingFolder
        let phaseResult = try JSONDecoder().decode(Experiment.Result.self, from: Data(contentsOf: pretraining.appendingPathComponent("result.json")))
        XCTAssertEqual(phaseResult.steps, 12)
        XCTAssertEqual(phaseResult.history.map(\.step), [3, 6, 9, 12])
        XCTAssertEqual(Set(phaseResult.history.flatMap { $0.metrics["validation"]!.keys }), ["depth"])
        let bestStep = phaseResult.history.min { $0.validationError < $1.validationError }!.step
        XCTAssertEqual(phaseResult.selectedSteps, [bestStep])
        let phaseRecords = try records(pretraining.appendingPathComponent("records.jsonl"))
        XCTAssertEqual(phaseRecords.count, 12)
        XCTAssertTrue(phaseRecords.allSatisfy { $0.batchKind == .full && Set($0.losses.keys) == ["depth"] })

        let snapshot = try Checkpoint.read(from: pretraining.appendingPathComponent("best-encoder.tandem"))
        XCTAssertEqual(snapshot.attributes["best.step"], "\(bestStep)")
        let encoder = snapshot.parameters(prefix: "parameters.")
        XCTAssertEqual(encoder.names, initial.names)
        let final = try Checkpoint.read(from: experiment.checkpointURL).parameters(prefix: "parameters.")
        for name in initial.names {
            XCTAssertEqual(final[name].scalars, encoder[name].scalars, "\(name) must be the pre-trained encoder's")
        }
        XCTAssertTrue(initial.names.contains { initial[$0].scalars != encoder[$0].scalars }, "the pre-training changed nothing")
        XCTAssertFalse(snapshot.parameters(prefix: "buffers.").isEmpty, "batch-norm statistics travel with the encoder")

        // The fine-tuning: the primary task only, every batch from X, the recipe's budget.
        let fineRecords = try records(experiment.recordsURL)
        XCTAssertEqual(fineRecords.count, 6)
        XCTAssertTrue(fineRecords.allSatisfy { $0.batchKind == .parallel && Set($0.losses.keys) == ["segmentation"] })
        XCTAssertEqual(result.steps, 6)
        XCTAssertEqual(Set(result.metrics["test"]!.keys), ["segmentation"])
    }

    func testEarlyStoppingEndsThePhaseAndAResumedRunStopsThere() throws {
        let pretraining = """
        pretraining:
          optimizer: {learning_rate: 0.2}
          budget: {steps: 60}
          evaluation: {every: 1, patience: 1}
        """
        let recipe = try XCTUnwrap(try Recipe.load(try recipeFile(pretraining: pretraining)).pretrainingRecipe())
        XCTAssertEqual(recipe.patience, 1)
        let output = folder.appendingPathComponent("stopped")
        let first = try Experiment(recipe: recipe, outputFolder: output, keepsBestEncoder: true).run()
        // It stopped at the first evaluation that did not improve on the best before it.
        let errors = first.history.map(\.validationError)
        let stop = try XCTUnwrap(errors.indices.dropFirst().first { errors[$0] >= errors[..<$0].min()! }, "the loss fell for all 60 steps")
        XCTAssertEqual(first.steps, first.history[stop].step)
        XCTAssertLessThan(first.steps, 60)
        XCTAssertEqual(first.history.count, stop + 1)

        let resumed = try Experiment(recipe: recipe, outputFolder: output, keepsBestEncoder: true)
        let again = try resumed.run(resume: true)
        XCTAssertEqual(again.steps, first.steps)
        XCTAssertEqual(again.history, first.history)
        XCTAssertEqual(try records(resumed.recordsURL).count, first.steps)
        XCTAssertEqual(try resumed.bestEncoder().parameters.names, resumed.trainer.parameters.shared.names)
    }

    /// A run interrupted after its pre-training phase resumes to the straight run's numbers, bit for bit.
    func testResumingAfterThePretrainingPhaseGivesTheStraightRunsNumbers() throws {
        let recipe = try Recipe.load(try recipeFile())
        let straight = try Experiment(recipe: recipe, outputFolder: folder.appendingPathComponent("straight"))
        let expected = try straight.run()

        let output = folder.appendingPathComponent("interrupted")
        let interrupted = try Experiment(recipe: recipe, outputFolder: output)
        try Experiment(recipe: try XCTUnwrap(try recipe.pretrainingRecipe()), outputFolder: interrupted.pretrainingFolder, keepsBestEncoder: true).run()
        let result = try interrupted.run(resume: true)
        XCTAssertEqual(result.metrics, expected.metrics)
        XCTAssertEqual(result.history, expected.history)
        let a = try Checkpoint.read(from: straight.checkpointURL), b = try Checkpoint.read(from: interrupted.checkpointURL)
        XCTAssertEqual(a.tensors.map(\.name), b.tensors.map(\.name))
        for (x, y) in zip(a.tensors, b.tensors) { XCTAssertEqual(x.tensor.scalars, y.tensor.scalars, x.name) }

        // Resuming the finished run changes nothing.
        let again = try Experiment(recipe: recipe, outputFolder: output).run(resume: true)
        XCTAssertEqual(again.metrics, expected.metrics)
    }

    func testAMissingOrMismatchedBestEncoderIsRefusedNamingTheFileAndTheDifference() throws {
        let recipe = try Recipe.load(try recipeFile())
        let experiment = try Experiment(recipe: recipe, outputFolder: folder.appendingPathComponent("run"))
        try experiment.run()
        let phaseRecipe = try XCTUnwrap(try recipe.pretrainingRecipe())
        let phase = try Experiment(recipe: phaseRecipe, outputFolder: experiment.pretrainingFolder, keepsBestEncoder: true)
        try phase.run(resume: true)
        let path = phase.bestEncoderURL.path
        let saved = try Checkpoint.read(from: phase.bestEncoderURL)
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "no error" } catch { return "\(error)" }
        }

        var other = saved
        other.attributes["best.step"] = "999"
        try other.write(to: phase.bestEncoderURL)
        let wrongStep = message { _ = try phase.bestEncoder() }
        XCTAssertTrue(wrongStep.contains(path) && wrongStep.contains("holds the encoder of step 999"), wrongStep)

        other = saved
        other.attributes["recipe.budget"] = "{batch_size: 4, steps: 99}"
        try other.write(to: phase.bestEncoderURL)
        let wrongRecipe = message { _ = try phase.bestEncoder() }
        XCTAssertTrue(wrongRecipe.contains(path) && wrongRecipe.contains("different recipe") && wrongRecipe.contains("budget: {batch_size: 4, steps: 99} → "),
                      wrongRecipe)

        try FileManager.default.removeItem(at: phase.bestEncoderURL)
        let missing = message { _ = try phase.bestEncoder() }
        XCTAssertTrue(missing.contains(path) && missing.contains("does not exist"), missing)

        // An encoder of another model is refused by name and shape before anything changes.
        let fresh = try Experiment(recipe: recipe, outputFolder: folder.appendingPathComponent("fresh")).trainer
        let before = fresh.parameters.shared
        let wider = try Experiment(recipe: Recipe.load(try recipeFile(model: "{name: splitvgg, split: 3, width: 0.25}")),
                                   outputFolder: folder.appendingPathComponent("wide")).trainer.encoderState
        let shape = message { try fresh.initializeEncoder(parameters: wider.parameters, buffers: wider.buffers, source: "/some/best-encoder.tandem") }
        XCTAssertTrue(shape.contains("/some/best-encoder.tandem") && shape.contains("has shape") && shape.contains("expects"), shape)
        let deeper = try Experiment(recipe: Recipe.load(try recipeFile(model: "{name: splitvgg, split: 2, width: 0.125}")),
                                    outputFolder: folder.appendingPathComponent("deep")).trainer.encoderState
        let names = message { try fresh.initializeEncoder(parameters: deeper.parameters, buffers: deeper.buffers, source: "/some/best-encoder.tandem") }
        XCTAssertTrue(names.contains("encoder parameters do not match") && (names.contains("unexpected shared.") || names.contains("missing shared.")), names)
        for name in before.names { XCTAssertEqual(fresh.parameters[name].scalars, before[name].scalars, "\(name) changed by a refused load") }

        let own = fresh.encoderState
        _ = try fresh.trainStep()
        let late = message { try fresh.initializeEncoder(parameters: own.parameters, buffers: own.buffers, source: "x") }
        XCTAssertTrue(late.contains("before the first step"), late)
    }
}
