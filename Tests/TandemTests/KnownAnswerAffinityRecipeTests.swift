import XCTest
@testable import Tandem
import TandemCore

/// The planted-task-groups benchmark from recipes: `known-answer-affinity.yaml` with its grouping
/// settings, its budget-check suite, the `transference:` grouping keys, the true groups an
/// experiment carries, and `tandem affinity` printing the adjusted Rand index.
final class KnownAnswerAffinityRecipeTests: XCTestCase {
    let recipes = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../recipes").standardized
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-groups-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    var planted: [[String]] { [["a1", "a2", "a3"], ["b1", "b2", "b3"], ["c1", "c2", "c3"]] }

    func testTheRecipeCarriesItsGroupingSettingsAndTheTrueGroups() throws {
        let recipe = try Recipe.load(recipes.appendingPathComponent("known-answer-affinity.yaml").path)
        let transference = try XCTUnwrap(recipe.transference)
        XCTAssertEqual(transference.groups, 3)
        XCTAssertTrue(transference.partition)
        XCTAssertFalse(transference.normalised)
        XCTAssertEqual(recipe.dataset.name, "task-groups")
        XCTAssertNoThrow(try Experiment.check(recipe))
        XCTAssertEqual(try Experiment.trueTaskGroups(of: recipe), planted)
        // A recipe training some of the tasks sees the true groups restricted to them.
        let some = try Recipe.load(recipes.appendingPathComponent("known-answer-affinity.yaml").path, overrides: ["tasks=[a1, a2, c3]"])
        XCTAssertEqual(try Experiment.trueTaskGroups(of: some), [["a1", "a2"], ["c3"]])
        // A data set without declared groups.
        let scenes = try Recipe.load(recipes.appendingPathComponent("quickstart-base.yaml").path)
        XCTAssertNil(try Experiment.trueTaskGroups(of: scenes))
    }

    /// The check's cells: 9 single tasks and all tasks together (EW) × 1× and 4× the budget × 3 data seeds.
    func testEveryBudgetCheckCellIsAValidRecipe() throws {
        let suite = try Suite.load(recipes.appendingPathComponent("known-answer-affinity-budget-check.yaml").path)
        let cells = try suite.cells()
        XCTAssertEqual(cells.count, 10 * 2 * 3)
        let base = try Recipe.load(recipes.appendingPathComponent("known-answer-affinity-base.yaml").path)
        var steps: Set<Int> = []
        for cell in cells {
            let recipe = try Recipe.load(cell.recipePath, overrides: cell.overrides)
            XCTAssertNoThrow(try Experiment.check(recipe), cell.identifier)
            XCTAssertNil(recipe.transference, cell.identifier)
            steps.insert(recipe.steps)
        }
        XCTAssertEqual(steps, [base.steps, 4 * base.steps])
        // The affinity recipe trains exactly the base recipe's run, with the probe added.
        let affinity = try Recipe.load(recipes.appendingPathComponent("known-answer-affinity.yaml").path)
        var withoutProbe = affinity
        withoutProbe.transference = nil
        withoutProbe.fingerprint["transference"] = nil
        withoutProbe.name = base.name
        XCTAssertEqual(RecipeFingerprint.text(withoutProbe), RecipeFingerprint.text(base))
    }

    func testGroupingKeysAreChecked() throws {
        func load(_ transference: String) throws -> Recipe {
            let path = folder.appendingPathComponent("recipe.yaml").path
            try """
            base: \(recipes.appendingPathComponent("known-answer-affinity-base.yaml").path)
            transference: \(transference)
            """.write(toFile: path, atomically: true, encoding: .utf8)
            return try Recipe.load(path)
        }
        let full = try load("{every: 5, groups: 2, partition: true, normalised: true}").transference
        XCTAssertEqual(full, Recipe.TransferenceMeasurement(every: 5, perLearningRate: false, groups: 2, partition: true, normalised: true))
        XCTAssertEqual(try load("{every: 5}").transference?.groups, nil)
        XCTAssertThrowsError(try load("{every: 5, partition: true}")) { error in
            XCTAssertTrue("\(error)".contains("transference.partition says how tasks are grouped: it needs `groups: N` in the same section"), "\(error)")
            XCTAssertTrue("\(error)".contains("recipe.yaml:2:"), "\(error)")
        }
        XCTAssertThrowsError(try load("{every: 5, groups: 0}")) { error in XCTAssertTrue("\(error)".contains("transference.groups"), "\(error)") }
        XCTAssertThrowsError(try load("{every: 5, group: 2}")) { error in XCTAssertTrue("\(error)".contains("did you mean 'groups'"), "\(error)") }
    }

    /// A short run of the affinity recipe prints the index line (its value is the run's; the
    /// computation is tested in AdjustedRandIndexTests), also when the groups come from --records.
    func testAffinityPrintsTheAdjustedRandIndex() throws {
        let executable = try XCTUnwrap(KillAndResumeTests.executable, "the tandem executable was not built beside the tests")
        func run(_ arguments: [String]) throws -> String {
            let process = Process(), pipe = Pipe()
            process.executableURL = executable
            process.arguments = arguments
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 0, arguments.joined(separator: " "))
            return String(decoding: data, as: UTF8.self)
        }
        func index(in output: String) throws -> Double {
            let line = try XCTUnwrap(output.split(separator: "\n").first { $0.hasPrefix("adjusted Rand index: ") }, output)
            let value = try XCTUnwrap(Double(line.dropFirst("adjusted Rand index: ".count)), String(line))
            XCTAssertTrue((-1...1).contains(value), String(line))
            return value
        }
        let recipe = recipes.appendingPathComponent("known-answer-affinity.yaml").path
        let output = folder.appendingPathComponent("run")
        let trained = try run(["affinity", recipe, "budget.steps=30", "dataset.train=128", "dataset.validation=32", "dataset.test=32",
                               "evaluation.every=30", "--quiet", "--output", output.path])
        XCTAssertTrue(trained.contains("best 3 groups (a partition)"), trained)
        let fromRun = try index(in: trained)
        // The same measurements read back, with the recipe for its settings and true groups.
        let read = try run(["affinity", "--records", output.appendingPathComponent("records.jsonl").path, recipe,
                            "budget.steps=30", "dataset.train=128", "dataset.validation=32", "dataset.test=32"])
        XCTAssertEqual(try index(in: read), fromRun)
        // Without a recipe there is nothing to compare with.
        let alone = try run(["affinity", "--records", output.appendingPathComponent("records.jsonl").path, "--groups", "3"])
        XCTAssertFalse(alone.contains("adjusted Rand index"), alone)
    }
}
