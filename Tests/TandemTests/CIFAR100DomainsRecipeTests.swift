import XCTest
import Foundation
@testable import Tandem
import TandemCore
import TandemDatasets
import TandemModels

/// The CIFAR-100 20-domain setting (the IAL paper's Table VII) as a user reaches it: the shipped
/// suite and base recipe, the `cifar100-domains` dataset entry on CIFAR-100 binary files written
/// here (tiny, made up, never committed), the `vgg16` model at a tiny width trained end to end, and
/// the errors for a missing or damaged file.
final class CIFAR100DomainsRecipeTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-cifar-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    static let recipes = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../recipes").standardized

    /// `count` CIFAR-100 binary records (coarse label, fine label, 3×32×32 bytes): fine labels step
    /// by 37 from `offset`, so any 100 consecutive records hold every class and every domain; pixels follow the fine label
    /// (each class its own brightness pattern), so a model can learn something.
    static func binary(count: Int, offset: Int = 0) -> Data {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count * 3074)
        for record in 0..<count {
            let fine = (record * 37 + offset) % 100
            bytes.append(UInt8(CIFAR100Domains.coarseOfFine[fine]))
            bytes.append(UInt8(fine))
            for channel in 0..<3 {
                for pixel in 0..<1024 {
                    bytes.append(UInt8((fine * 53 + channel * 29 + (pixel % 32) * (fine % 5 + 1) + record) % 256))
                }
            }
        }
        return Data(bytes)
    }

    /// Writes `train.bin` and `test.bin` into `root` and returns it.
    func writeBinaries(train: Int = 200, test: Int = 100, in name: String = "cifar-100-binary") throws -> URL {
        let root = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try Self.binary(count: train).write(to: root.appendingPathComponent("train.bin"))
        try Self.binary(count: test, offset: 11).write(to: root.appendingPathComponent("test.bin"))
        return root
    }

    /// The base recipe with a tiny model and budget: the overrides a quick check would give.
    func tinyOverrides(root: URL, strategy: String) -> [String] {
        ["dataset.root=\(root.path)", "model.width=0.0625", "strategy=\(strategy)",
         "budget={steps: 3, batch_size: 24}", "evaluation={every: 3, selection: last, criterion: loss, batch_size: 20}",
         "checkpoint_every=3"]
    }

    /// Every cell of the shipped suite (matrix and single-task baselines) is a valid recipe, and the
    /// suite asks for the paper's columns.
    func testShippedSuiteIsValidAndAsksForMeanAndWorstFive() throws {
        let suite = try Suite.load(Self.recipes.appendingPathComponent("ial-cifar100.yaml").path)
        XCTAssertEqual(suite.report.taskSummary, TaskSummary(metric: "accuracy", worst: 5, taskColumns: false))
        let cells = try suite.cells()
        XCTAssertEqual(cells.filter { $0.baselineTask == nil }.count, 8 * 3)
        XCTAssertEqual(cells.filter { $0.baselineTask != nil }.count, 20 * 3)
        for cell in cells {
            let recipe = try Recipe.load(suite.recipePath, overrides: cell.overrides)
            XCTAssertNoThrow(try Experiment.check(recipe), cell.identifier)
        }
        let base = try Recipe.load(suite.recipePath)
        XCTAssertEqual(base.tasks.map(\.name), CIFAR100Domains.domainNames)
        XCTAssertTrue(base.tasks.allSatisfy { $0.role == .primary })
    }

    /// The recipe's dataset and model at a tiny width train end to end through `Experiment` (EW and
    /// IAL, whose batches leave some domains unlabelled), with every domain evaluated.
    func testTinyRunEndToEnd() throws {
        let root = try writeBinaries()
        for strategy in ["ew", "ial"] {
            let recipe = try Recipe.load(Self.recipes.appendingPathComponent("ial-cifar100-base.yaml").path,
                                         overrides: tinyOverrides(root: root, strategy: strategy))
            let experiment = try Experiment(recipe: recipe, outputFolder: folder.appendingPathComponent("run-\(strategy)"))
            XCTAssertEqual(experiment.tasks.count, 20)
            XCTAssertTrue(experiment.tasks.allSatisfy { $0.kind == .classification(classes: 5) && $0.labelShape == [] })
            XCTAssertTrue(experiment.trainer.model is VGG16Classifier)
            let result = try experiment.run()
            XCTAssertEqual(result.steps, 3)
            let test = try XCTUnwrap(result.metrics["test"])
            XCTAssertEqual(Set(test.keys), Set(CIFAR100Domains.domainNames), strategy)
            for (task, metrics) in test {
                let accuracy = try XCTUnwrap(metrics["accuracy"], "\(strategy) \(task)")
                XCTAssertTrue((0...1).contains(accuracy), "\(strategy) \(task): \(accuracy)")
                XCTAssertTrue(metrics["loss"]!.isFinite, "\(strategy) \(task)")
            }
            XCTAssertTrue(FileManager.default.fileExists(atPath: experiment.resultURL.path))
        }
    }

    /// `validation: N` holds N training images out (seeded), and `limit` cuts the rest.
    func testValidationHoldOutAndLimit() throws {
        let root = try writeBinaries()
        let entry = try XCTUnwrap(Registry.standard.datasets["cifar100-domains"])
        func bundle(_ options: [String: OptionValue]) throws -> DatasetBundle {
            try entry.make(try Options(validating: options, specs: entry.description.options, owner: "cifar100-domains"), folder.path)
        }
        let whole = try bundle(["root": .text(root.path)])
        XCTAssertEqual(whole.trainingIndices, Array(0..<200))
        XCTAssertEqual(whole.validationIndices, Array(0..<100))
        XCTAssertEqual(whole.validation.name, "cifar100-domains/test")
        let held = try bundle(["root": .text(root.path), "validation": .integer(20), "limit": .integer(50)])
        XCTAssertEqual(held.trainingIndices.count, 50)
        XCTAssertEqual(held.validationIndices.count, 20)
        XCTAssertTrue(Set(held.trainingIndices).isDisjoint(with: held.validationIndices))
        XCTAssertEqual(held.validation.name, "cifar100-domains/train")
        XCTAssertEqual(held.testIndices, Array(0..<100))
        XCTAssertEqual(try bundle(["root": .text(root.path), "validation": .integer(20), "seed": .integer(0)]).validationIndices,
                       try bundle(["root": .text(root.path), "validation": .integer(20)]).validationIndices)
        XCTAssertThrowsError(try bundle(["root": .text(root.path), "validation": .integer(200)])) {
            XCTAssertTrue("\($0)".contains("leaves no training images"), "\($0)")
        }
    }

    /// A missing, truncated or mislabelled binary file is an error naming the file, never a crash.
    func testMissingOrDamagedFilesAreErrorsNamingTheFile() throws {
        let root = try writeBinaries()
        let base = Self.recipes.appendingPathComponent("ial-cifar100-base.yaml").path
        func failure(_ change: () throws -> Void) throws -> String {
            try change()
            do {
                _ = try Experiment(recipe: Recipe.load(base, overrides: tinyOverrides(root: root, strategy: "ew")),
                                   outputFolder: folder.appendingPathComponent("never"))
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        let train = root.appendingPathComponent("train.bin"), test = root.appendingPathComponent("test.bin")
        let good = try Data(contentsOf: train)

        var text = try failure { try FileManager.default.removeItem(at: test) }
        XCTAssertTrue(text.contains(test.path) && text.contains("no such file"), text)
        try Self.binary(count: 100, offset: 11).write(to: test)

        text = try failure { try good.prefix(good.count - 5).write(to: train) }
        XCTAssertTrue(text.contains(train.path) && text.contains("truncated"), text)

        text = try failure { var bad = good; bad[3074 * 2 + 1] = 140; try bad.write(to: train) }
        XCTAssertTrue(text.contains(train.path) && text.contains("record 2 has fine label 140"), text)

        text = try failure { var bad = good; bad[0] = (bad[0] + 1) % 20; try bad.write(to: train) }
        XCTAssertTrue(text.contains(train.path) && text.contains("CIFAR-10"), text)

        text = try failure { try Data().write(to: train) }
        XCTAssertTrue(text.contains(train.path), text)

        // The recipe as shipped, without a root on the command line, names the folder it looked in.
        do {
            _ = try Experiment(recipe: Recipe.load(base), outputFolder: folder.appendingPathComponent("never"))
            XCTFail("the placeholder root was accepted")
        } catch {
            XCTAssertTrue("\(error)".contains("REQUIRED-set-dataset.root-on-the-command-line/train.bin"), "\(error)")
        }
    }
}
