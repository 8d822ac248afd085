import XCTest
import Foundation
@testable import Tandem
import TandemCore
import TandemDatasets

/// The `multimnist` entry's `pairing:` option as a recipe reaches it: whole-source (the default,
/// pairs split at random) and within-split (digits split first, each split's pairs from its own
/// digits, any number of training pairs), the errors for impossible sizes, and the shipped
/// it-multimnist suite, which trains on 100,000 pairs an epoch from the sample's training digits.
final class MultiMNISTPairingRecipeTests: XCTestCase {
    var folder: URL!
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-multimnist-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func recipe(_ dataset: String) throws -> Recipe {
        let data = Self.repository.appendingPathComponent("data").path
        let text = """
        name: pairing
        dataset: {name: multimnist, images: \(data)/mnist5k-images-idx3-ubyte, labels: \(data)/mnist5k-labels-idx1-ubyte, resize: none, \(dataset)}
        tasks: [left, right]
        model: multilenet
        strategy: ew
        optimizer: {name: sgd, learning_rate: 0.01}
        budget: {steps: 1, batch_size: 8}
        output: \(folder.appendingPathComponent("run").path)
        """
        let path = folder.appendingPathComponent("recipe.yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try Recipe.load(path)
    }

    func bundle(_ dataset: String) throws -> DatasetBundle {
        let recipe = try self.recipe(dataset)
        let (options, _, _) = try Experiment.check(recipe)
        return try Experiment.datasetBundle(recipe, entry: Registry.standard.datasets["multimnist"]!, options: options)
    }

    func assertError(_ dataset: String, contains fragments: [String], line: UInt = #line) {
        XCTAssertThrowsError(try bundle(dataset), line: line) { error in
            for fragment in fragments { XCTAssertTrue("\(error)".contains(fragment), "'\(error)' lacks '\(fragment)'", line: line) }
        }
    }

    /// The default is today's: one materialised pair per image, split at random.
    func testWholeSourceIsTheDefault() throws {
        let bundle = try self.bundle("train: 3000, validation: 1000, test: 1000")
        XCTAssertTrue(bundle.training is MaterializedDataset)
        XCTAssertEqual(bundle.training.count, 5000)
        XCTAssertEqual([bundle.trainingIndices.count, bundle.validationIndices.count, bundle.testIndices.count], [3000, 1000, 1000])
        let explicit = try self.bundle("pairing: whole-source, train: 3000, validation: 1000, test: 1000")
        XCTAssertEqual(explicit.trainingIndices, bundle.trainingIndices)
        XCTAssertEqual(try explicit.training.example(at: 17), try bundle.training.example(at: 17))
        let direct = try MultiMNIST(source: try MNIST(images: Self.repository.appendingPathComponent("data/mnist5k-images-idx3-ubyte"),
                                                      labels: Self.repository.appendingPathComponent("data/mnist5k-labels-idx1-ubyte")),
                                    seed: 0, resize: .none)
        XCTAssertEqual(try bundle.training.example(at: 4321), try direct.example(at: 4321))
    }

    /// Within-split: 100,000 training pairs from the 3,000 training digits, validation and test
    /// pairs from their own 1,000 digits each, no digit shared between splits.
    func testWithinSplitKeepsEachSplitsDigits() throws {
        let bundle = try self.bundle("pairing: within-split, train: 100000, validation: 1000, test: 1000")
        let pairs = try XCTUnwrap(bundle.training as? MultiMNIST)
        XCTAssertEqual(pairs.count, 102_000)
        XCTAssertEqual(pairs.digitPools.map(\.count), [3000, 1000, 1000])
        XCTAssertEqual(bundle.trainingIndices, Array(0..<100_000))
        XCTAssertEqual(bundle.validationIndices, Array(100_000..<101_000))
        XCTAssertEqual(bundle.testIndices, Array(101_000..<102_000))
        let digitsOf = { (indices: [Int]) in Set(indices.flatMap { [pairs.lefts[$0], pairs.partners[$0]] }) }
        let train = digitsOf(bundle.trainingIndices), validation = digitsOf(bundle.validationIndices), test = digitsOf(bundle.testIndices)
        XCTAssertTrue(train.isDisjoint(with: validation) && train.isDisjoint(with: test) && validation.isDisjoint(with: test))
        XCTAssertEqual(train.count, 3000)
        // Explicit pool sizes (some digits left unused).
        let smaller = try XCTUnwrap(try self.bundle("pairing: within-split, train: 500, validation: 20, test: 30, train_digits: 100, validation_digits: 10, test_digits: 15").training as? MultiMNIST)
        XCTAssertEqual(smaller.digitPools.map(\.count), [100, 10, 15])
        XCTAssertEqual(smaller.poolExamples, [0..<500, 500..<520, 520..<550])
        // The same options give the same pairs; another dataset seed others.
        let again = try XCTUnwrap(try self.bundle("pairing: within-split, train: 100000, validation: 1000, test: 1000").training as? MultiMNIST)
        XCTAssertEqual(again.partners, pairs.partners)
        let reseeded = try XCTUnwrap(try self.bundle("pairing: within-split, train: 100000, validation: 1000, test: 1000, seed: 1").training as? MultiMNIST)
        XCTAssertNotEqual(reseeded.digitPools, pairs.digitPools)
    }

    func testImpossibleSizesAreNamed() {
        assertError("pairing: within-split, train: 100, validation: 3000, test: 2000",
                    contains: ["train_digits + validation_digits + test_digits", "0 + 3000 + 2000", "5000 images", "at least 1 training digit"])
        assertError("pairing: within-split, train: 100, train_digits: 4000",
                    contains: ["4000 + 1000 + 1000", "must be at most the 5000 images"])
        assertError("train: 100000, validation: 1000, test: 1000",
                    contains: ["train + validation + test = 102000", "5000 images", "pairing: within-split composes any number"])
        assertError("train: 100, train_digits: 100", contains: ["`train_digits:` is read only with `pairing: within-split`"])
        assertError("pairing: within_split", contains: ["pairing"])
    }

    /// Every cell of the shipped suite is a valid recipe, and its base recipe trains on 100,000
    /// pairs an epoch from the training digits only.
    func testShippedSuiteTrainsOnTheTrainingDigits() throws {
        let recipes = Self.repository.appendingPathComponent("recipes")
        let suite = try Suite.load(recipes.appendingPathComponent("it-multimnist.yaml").path)
        let cells = try suite.cells()
        XCTAssertEqual(cells.filter { $0.baselineTask == nil }.count, 9 * 6)
        for cell in cells {
            let recipe = try Recipe.load(suite.recipePath, overrides: cell.overrides)
            XCTAssertNoThrow(try Experiment.check(recipe), cell.identifier)
        }
        let base = try Recipe.load(suite.recipePath)
        let (options, _, _) = try Experiment.check(base)
        let bundle = try Experiment.datasetBundle(base, entry: Registry.standard.datasets["multimnist"]!, options: options)
        XCTAssertEqual(bundle.trainingIndices.count, 100_000)
        let pairs = try XCTUnwrap(bundle.training as? MultiMNIST)
        XCTAssertEqual(pairs.pairing, .withinSplit)
        XCTAssertEqual(Set(bundle.trainingIndices.flatMap { [pairs.lefts[$0], pairs.partners[$0]] }), Set(pairs.digitPools[0]))
    }
}
