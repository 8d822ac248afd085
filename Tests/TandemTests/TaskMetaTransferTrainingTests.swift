import XCTest
import Foundation
@testable import Tandem
@testable import TandemCore
@testable import TandemStrategies

/// TMT in real runs on synthetic scenes with a tiny SplitVGG-3: φ = I is MTL(k) bit for bit,
/// ∇_φ both ways against central differences, checkpoint/resume, and recipe refusals.
final class TaskMetaTransferTrainingTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-tmt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func recipe(strategy: String, tasks: String? = nil, labels: String? = "labels: {parallel_fraction: 0.25, alternate_every: 3}",
                steps: Int = 7, strategyOptimizer: String = "{name: adam, learning_rate: 0.001, weight_decay: 0.00001}") throws -> Recipe {
        let text = """
        name: tmt-test
        seed: 5
        dataset: {name: synthetic-scenes, train: 48, validation: 8, test: 8, height: 32, width: 32, seed: 2}
        tasks: \(tasks ?? "[{name: segmentation, role: primary}, {name: depth, role: auxiliary}, {name: normals, role: auxiliary}]")
        model: {name: splitvgg, split: 3, width: 0.125}
        strategy: \(strategy)
        \(labels ?? "")
        optimizer: {name: sgd, learning_rate: 0.05, momentum: 0.9}
        strategy_optimizer: \(strategyOptimizer)
        budget: {steps: \(steps), batch_size: 4}
        evaluation: {batch_size: 8}
        output: \(folder.path)/run

        """
        let url = folder.appendingPathComponent("recipe-\(UUID().uuidString).yaml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return try Recipe.load(url.path)
    }

    func assertBitIdentical(_ a: Parameters, _ b: Parameters, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.names, b.names, what, file: file, line: line)
        for name in a.names where b.contains(name) {
            XCTAssertEqual(a[name].scalars, b[name].scalars, "\(what): '\(name)' differs", file: file, line: line)
        }
    }

    /// With φ = I frozen and the primary gradient at Θ, TMT is MTL with k-alternation (EW on the
    /// same batches): identical parameters, buffers and optimiser state after every step.
    func testIdentityProjectionIsMTLWithKAlternationBitForBit() throws {
        for tasks in ["[{name: segmentation, role: primary}, {name: depth, role: auxiliary}]", nil] {
            let mtl = try Experiment(recipe: recipe(strategy: "ew", tasks: tasks)).trainer
            let tmt = try Experiment(recipe: recipe(strategy: "{name: tmt, learn_projection: false, primary_gradient: plain}", tasks: tasks)).trainer
            for step in 0..<7 {
                _ = try mtl.trainStep()
                _ = try tmt.trainStep()
                assertBitIdentical(mtl.parameters, tmt.parameters, "parameters after step \(step) (\(tasks ?? "three tasks"))")
                assertBitIdentical(mtl.buffers, tmt.buffers, "buffers after step \(step)")
            }
            for slot in mtl.optimizerStates["shared"]!.buffers.keys {
                assertBitIdentical(mtl.optimizerStates["shared"]!.buffers[slot]!, tmt.optimizerStates["shared"]!.buffers[slot]!, "momentum")
            }
        }
    }

    /// The meta loss L_P(Θ⁺(φ)) on a batch at parameters Θ, for central differences on φ.
    func metaLoss(_ trainer: Trainer, _ strategy: TaskMetaTransfer, batch: Batch, parameters theta: Parameters,
                  phi: [String: GradientProjection], alpha: Float) -> Double {
        let shared = theta.shared.tracked()
        let context = ForwardContext(parameters: theta.merging(shared), buffers: trainer.buffers, isTraining: true)
        let z = trainer.model.encode(batch.input, context)
        let zLeaf = z.detached.tracked()
        var h: [String: Tensor] = [:]
        for task in trainer.tasks where task.role == .auxiliary {
            let loss = task.kind.loss(prediction: trainer.model.head(task.name, zLeaf, context), target: batch.targets[task.name]!)
            h[task.name] = grad(of: loss, wrt: [zLeaf])[0]
        }
        let s = strategy.projectedAuxiliary(h, phi, order: trainer.tasks.map(\.name))
        let jts = grad(of: z, wrt: shared, seed: s, retainGraph: true)
        let thetaPlus = theta.shared - jts * alpha
        return Double(trainer.losses(at: theta.merging(thetaPlus), batch: batch)["segmentation"]!.scalar)
    }

    /// One meta step with SGD(1) on φ gives ∇_φ = φ_before − φ_after.
    func metaGradient(mode: String, step: Double = 0.01) throws -> (gradient: Parameters, trainer: Trainer, before: TaskMetaTransfer, batch: Batch, theta: Parameters) {
        let experiment = try Experiment(recipe: recipe(
            strategy: "{name: tmt, rank: 3, initial_scale: 0.2, inner_step: 0.5, meta_gradient: \(mode), finite_difference_step: \(step)}",
            labels: "labels: {parallel_fraction: 0.25, alternate_every: 1}", strategyOptimizer: "{name: sgd, learning_rate: 1}"))
        let trainer = experiment.trainer, strategy = trainer.strategy as! TaskMetaTransfer
        let dataState = trainer.data.saveState(), theta = trainer.parameters
        _ = try trainer.trainStep()
        let before = try TaskMetaTransfer(tasks: trainer.tasks, rank: 3, initialScale: 0.2, seed: 5)
        try before.prepareProjections(channels: strategy.projections["depth"]!.channels)
        try trainer.data.restoreState(dataState)
        return (before.metaParameters - strategy.metaParameters, trainer, before, trainer.data.nextBatch(.parallel), theta)
    }

    /// Exact ∇_φ (double-VJP) matches central differences of L_P(Θ⁺(φ)) on a tiny SplitVGG-3,
    /// along ∇_φ and along a random direction. The meta loss has kinks (ReLU, max-pool) and float32
    /// rounding moves them: a central difference that straddles one is off by a few per cent, and
    /// which step straddles one changes with the kernels (Tandem's or oneDNN's, AVX2 or AVX-512).
    /// So each direction is measured with three steps and the median is compared, within 6 % of
    /// ‖∇_φ‖: the median's largest miss over Tandem's and oneDNN's convolutions under OpenBLAS's
    /// Haswell, SkylakeX and fallback kernels was 4.3 %.
    func testExactMetaGradientMatchesCentralDifferences() throws {
        let (exact, trainer, strategy, batch, theta) = try metaGradient(mode: "exact")
        let size = exact.norm().scalar
        XCTAssertGreaterThan(size, 0)
        var generator = SeededGenerator(seed: 11)
        let random = exact.map { Tensor.randomNormal($1.shape, generator: &generator) }
        for direction in [exact * (1 / size), random * (1 / random.norm().scalar)] {
            // The meta loss is strongly curved in φ (ReLU, max-pool): small steps.
            let start = strategy.metaParameters
            func loss(_ step: Float) -> Double {
                metaLoss(trainer, strategy, batch: batch, parameters: theta, phi: strategy.projections(from: start + direction * step), alpha: 0.5)
            }
            let differences = [Float(0.004), 0.002, 0.001].map { delta in (loss(delta) - loss(-delta)) / (2 * Double(delta)) }
            let central = differences.sorted()[1]
            let analytic = Double(Parameters.dot(exact, direction).scalar)
            print("TMT exact ∇_φ along a direction: \(analytic), central differences (δ = 0.004, 0.002, 0.001) \(differences)")
            XCTAssertEqual(central, analytic, accuracy: 0.06 * Double(size))
        }
    }

    /// The finite-difference JVP approaches the exact ∇_φ as its step shrinks (O(ε) on a ReLU
    /// network; the spec's ε = 0.01/‖v‖ is the default).
    func testFiniteDifferenceMetaGradientApproachesTheExactOne() throws {
        let exact = try metaGradient(mode: "exact").gradient
        var errors: [Double] = []
        for step in [0.01, 0.001] {
            let finite = try metaGradient(mode: "finite-difference", step: step).gradient
            errors.append(Double((exact - finite).norm().scalar / exact.norm().scalar))
        }
        print("TMT finite-difference ∇_φ relative error at ε·‖v‖ = 0.01, 0.001: \(errors)")
        XCTAssertLessThan(errors[1], errors[0] / 2)
        XCTAssertLessThan(errors[1], 0.1)
        XCTAssertLessThan(errors[0], 0.5)
    }

    /// φ, its Adam state and the meta-step counter survive a checkpoint written to disk: the
    /// resumed run ends bit for bit where the uninterrupted one does.
    func testCheckpointResumeIsBitIdentical() throws {
        let strategy = "{name: tmt, rank: 2, initial_scale: 0.01, meta_gradient: finite-difference}"
        let straight = try Experiment(recipe: recipe(strategy: strategy, steps: 9)).trainer
        for _ in 0..<9 { _ = try straight.trainStep() }

        let first = try Experiment(recipe: recipe(strategy: strategy, steps: 9)).trainer
        for _ in 0..<5 { _ = try first.trainStep() }
        let url = folder.appendingPathComponent("tmt.checkpoint")
        try first.checkpoint().write(to: url)
        let resumed = try Experiment(recipe: recipe(strategy: strategy, steps: 9)).trainer
        try resumed.restore(from: Checkpoint.read(from: url), source: url.path)
        for _ in 5..<9 { _ = try resumed.trainStep() }

        assertBitIdentical(straight.parameters, resumed.parameters, "parameters")
        let a = straight.strategy as! TaskMetaTransfer, b = resumed.strategy as! TaskMetaTransfer
        assertBitIdentical(a.metaParameters, b.metaParameters, "φ")
        XCTAssertEqual(a.metaSteps, 3)
        XCTAssertEqual(a.metaSteps, b.metaSteps)
        let sa = straight.optimizerStates["meta"]!, sb = resumed.optimizerStates["meta"]!
        XCTAssertEqual(sa.step, sb.step)
        for slot in sa.buffers.keys { assertBitIdentical(sa.buffers[slot]!, sb.buffers[slot]!, "φ's Adam \(slot)") }
        XCTAssertFalse(sa.buffers.isEmpty)
    }

    func testRecipesWithoutAParallelSetOrAnAuxiliaryTaskAreRefused() throws {
        XCTAssertThrowsError(try Experiment(recipe: recipe(strategy: "tmt", labels: nil))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("labels: {parallel_fraction") && text.contains("recipe-"), text)
        }
        XCTAssertThrowsError(try Experiment(recipe: recipe(strategy: "tmt", tasks: "[{name: segmentation, role: primary}]"))) { error in
            // The recipe's labels section refuses it first (its auxiliary-only batches would be empty).
            XCTAssertTrue("\(error)".contains("at least one task with role auxiliary"), "\(error)")
        }
        XCTAssertThrowsError(try Experiment(recipe: recipe(strategy: "tmt", tasks: "[{name: segmentation, role: primary}]",
                                                           labels: "labels: {parallel_fraction: 0.25, alternate_every: 1}"))) { error in
            XCTAssertTrue("\(error)".contains("at least one auxiliary task"), "\(error)")
        }
        XCTAssertThrowsError(try Experiment(recipe: recipe(strategy: "{name: tmt, initial_scale: 0}"))) { error in
            XCTAssertTrue("\(error)".contains("U never moves"), "\(error)")
        }
    }

    /// Every shipped TMT suite loads, and each of its cells is a valid recipe for the registry.
    func testShippedTMTSuitesAreValid() throws {
        let recipes = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../recipes").standardized
        let suites = try FileManager.default.contentsOfDirectory(atPath: recipes.path)
            .filter { $0.hasPrefix("tmt-") && $0.hasSuffix(".yaml") && !$0.hasSuffix("-base.yaml") }.sorted()
        XCTAssertGreaterThanOrEqual(suites.count, 9, "\(suites)")
        for file in suites {
            let suite = try Suite.load(recipes.appendingPathComponent(file).path)
            let cells = try suite.cells()
            XCTAssertFalse(cells.isEmpty, file)
            for cell in cells {
                let recipe = try Recipe.load(cell.recipePath, overrides: cell.overrides)
                XCTAssertNoThrow(try Experiment.check(recipe), "\(file): \(cell.identifier)")
            }
        }
    }
    /// The suite report plots TMT's step-record values over training, one figure per family — the
    /// meta loss before and after the projected auxiliary step, ‖φ − I‖ and Λ's spectrum — with
    /// exactly the records' values at the meta steps, and links them from report.md.
    func testReportPlotsTheStepRecordValuesOverTraining() throws {
        try """
        name: tmt-report
        seed: 5
        dataset: {name: synthetic-scenes, train: 48, validation: 8, test: 8, height: 32, width: 32, seed: 2}
        tasks: [{name: segmentation, role: primary}, {name: depth, role: auxiliary}, {name: normals, role: auxiliary}]
        model: {name: splitvgg, split: 3, width: 0.125}
        strategy: {name: tmt, rank: 2}
        labels: {parallel_fraction: 0.25, alternate_every: 3}
        optimizer: {name: sgd, learning_rate: 0.05, momentum: 0.9}
        budget: {steps: 12, batch_size: 4}
        evaluation: {every: 6, batch_size: 8}

        """.write(to: folder.appendingPathComponent("base.yaml"), atomically: true, encoding: .utf8)
        try "name: tmt-report\nrecipe: base.yaml\nmatrix: {strategy: [tmt]}\nbaselines: false\n"
            .write(to: folder.appendingPathComponent("suite.yaml"), atomically: true, encoding: .utf8)
        let suite = try Suite.load(folder.appendingPathComponent("suite.yaml").path)
        let runner = SuiteRunner(suite: suite, outputFolder: folder.appendingPathComponent("suite"))
        let cells = try suite.cells()
        try runner.run(cells, jobs: 1, executable: "") { _ in }
        let report = try SuiteReport(folders: [runner.outputFolder])
        try report.write(to: runner.outputFolder)

        let records = try String(contentsOf: runner.folder(of: cells[0]).appendingPathComponent("records.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try JSONDecoder().decode(StepRecord.self, from: Data($0.utf8)) }
        let metaSteps = records.filter { $0.batchKind == .parallel }.map(\.step)
        XCTAssertEqual(metaSteps, [2, 5, 8, 11])
        let expected: [String: [String]] = [
            "metaLoss": ["metaLoss.after", "metaLoss.before"],
            "phiDistance": ["phiDistance.depth", "phiDistance.normals"],
            "lambdaSpectrum": ["lambdaSpectrum.max.depth", "lambdaSpectrum.max.normals", "lambdaSpectrum.mean.depth",
                               "lambdaSpectrum.mean.normals", "lambdaSpectrum.min.depth", "lambdaSpectrum.min.normals"],
        ]
        let markdown = try String(contentsOf: runner.outputFolder.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(markdown.contains("### Strategy reports over training"), markdown)
        for (family, keys) in expected {
            let file = "reports-\(family.lowercased())-strategy-tmt.svg"
            let plot = try XCTUnwrap(report.plots.first { $0.kind == .strategyReports && $0.fileName == file }, "\(file) in \(report.plots.map(\.fileName))")
            XCTAssertEqual(plot.plot.series.map(\.name), keys)
            for series in plot.plot.series {
                // Four meta steps: too few to smooth, so the plotted points are the records' values.
                let values = records.compactMap { record in record.reports[series.name].map { (Double(record.step), $0) } }
                XCTAssertEqual(series.points.map(\.x), metaSteps.map(Double.init), series.name)
                XCTAssertEqual(series.points.map(\.y), values.map(\.1), series.name)
            }
            XCTAssertTrue(markdown.contains("](plots/\(file))"), file)
            let svg = try String(contentsOf: runner.outputFolder.appendingPathComponent("plots").appendingPathComponent(file), encoding: .utf8)
            XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, keys.count, file)
            for key in keys { XCTAssertTrue(svg.contains(">\(key)</text>"), "\(file) has no legend entry \(key)") }
        }
        // φ has left the identity.
        XCTAssertGreaterThan(records.last { $0.reports["phiDistance.depth"] != nil }!.reports["phiDistance.depth"]!, 0)
    }
}
