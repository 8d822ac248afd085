import XCTest
import Foundation
@testable import Tandem
@testable import TandemCore

/// LibMTL's architectures from recipes: `tandem list models` offers them beside the SegNets, every
/// architecture trains with a Gramian strategy (UPGrad) and a loss weighting (UW) around a dense
/// encoder (splitres) and a classification one (resnet), every registered strategy trains on an
/// architecture whose tasks own encoder-side parameters, and bad combinations are refused clearly.
final class ArchitectureRecipeTests: XCTestCase {
    static let architectures = ["cross-stitch", "mtan", "mmoe", "cgc", "ple", "dselect-k", "ltb"]
    static let data = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../data").standardized
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-architectures-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func recipe(model: String, strategy: String, dense: Bool) throws -> Recipe {
        let dataset = dense ? "{name: synthetic-scenes, train: 8, validation: 4, test: 4, height: 32, width: 32, seed: 2}"
            : "{name: multimnist, images: \(Self.data.path)/mnist5k-images-idx3-ubyte, labels: \(Self.data.path)/mnist5k-labels-idx1-ubyte, train: 16, validation: 8, test: 8}"
        let text = """
        name: architectures
        seed: 3
        dataset: \(dataset)
        tasks: \(dense ? "[segmentation, depth, normals]" : "[left, right]")
        model: \(model)
        strategy: \(strategy)
        optimizer: {name: sgd, learning_rate: 0.01, momentum: 0.9}
        budget: {steps: 1, batch_size: 4}
        output: \(folder.path)/run-\(UUID().uuidString)

        """
        let url = folder.appendingPathComponent("recipe-\(UUID().uuidString).yaml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return try Recipe.load(url.path)
    }

    func testListModelsShowsTheSegNetsAndTheSevenArchitectures() {
        let names = Set(Registry.standard.modelNames)
        for name in ["segnet", "segnet-mtan", "resnet"] + Self.architectures { XCTAssertTrue(names.contains(name), name) }
        for name in Self.architectures {
            let summary = Registry.standard.models[name]!.description.summary
            XCTAssertTrue(summary.contains("Shared:"), "\(name) says what its shared parameters are")
        }
    }

    /// One step moves the shared parameters, the heads and each task's own architecture parameters
    /// (`everyTask`; a strategy may give a task weight 0 in a step, e.g. CR-MOGM's first).
    func trainsAStep(model: String, strategy: String, dense: Bool, everyTask: Bool = true, line: UInt = #line) throws {
        let experiment = try Experiment(recipe: recipe(model: model, strategy: strategy, dense: dense))
        let before = experiment.trainer.parameters
        let record = try experiment.trainer.trainStep()
        XCTAssertTrue(record.losses.values.allSatisfy(\.isFinite), "\(model) \(strategy)", line: line)
        let after = experiment.trainer.parameters
        let moved = before.names.filter { before[$0].scalars != after[$0].scalars }
        XCTAssertTrue(moved.contains { $0.hasPrefix("shared.") }, "\(model) \(strategy): the shared parameters moved", line: line)
        for task in experiment.tasks.map(\.name) where everyTask {
            XCTAssertTrue(moved.contains { $0.hasPrefix("heads.\(task).") && !$0.contains(".architecture.") }, "\(model) \(strategy): head \(task) moved", line: line)
            let own = before.names.filter { $0.hasPrefix("heads.\(task).architecture.") }
            if !own.isEmpty {
                XCTAssertTrue(own.contains { moved.contains($0) }, "\(model) \(strategy): \(task)'s own architecture parameters moved", line: line)
            }
        }
    }

    func testEveryArchitectureAroundADenseEncoderTrainsWithAGramianStrategyAndALossWeighting() throws {
        for architecture in Self.architectures {
            for strategy in ["upgrad", "uw"] {
                try trainsAStep(model: "{name: \(architecture), encoder: {name: splitres, split: 5, width: 0.125}}", strategy: strategy, dense: true)
            }
        }
    }

    func testEveryArchitectureAroundResNetTrainsWithAGramianStrategyAndALossWeighting() throws {
        for architecture in Self.architectures where architecture != "mtan" {
            for strategy in ["upgrad", "uw"] {
                try trainsAStep(model: "{name: \(architecture), encoder: {name: resnet, width: 0.0625}}", strategy: strategy, dense: false)
            }
        }
    }

    /// Every registered strategy, with its defaults, trains a step on CGC (shared experts, and
    /// experts and gates of each task's own), or declines for a reason of its own (TMT without
    /// partial labels, PCD without a primary task).
    func testEveryStrategyTrainsOnAnArchitecture() throws {
        var trained: [String] = [], declined: [String] = []
        for strategy in Registry.standard.strategyNames {
            do {
                try trainsAStep(model: "{name: cgc, encoder: {name: splitres, split: 5, width: 0.125}}", strategy: strategy, dense: true, everyTask: false)
                trained.append(strategy)
            } catch {
                XCTAssertTrue(error is RecipeError || error is CommandError, "\(strategy): \(error)")
                declined.append("\(strategy): \(error)")
            }
        }
        print("trained: \(trained.count) strategies; declined: \(declined)")
        XCTAssertLessThanOrEqual(declined.count, 2, declined.joined(separator: "\n"))
    }

    func testBadArchitectureRecipesAreRefusedClearly() throws {
        func message(_ model: String, dense: Bool = true) -> String {
            do { _ = try Experiment(recipe: recipe(model: model, strategy: "ew", dense: dense)); return "built" } catch { return "\(error)" }
        }
        XCTAssertTrue(message("{name: cross-stitch, encoder: {name: splitres, split: 3}}").contains("split: 5"))
        XCTAssertTrue(message("{name: mmoe, encoder: splitvgg}").contains("cannot be taken apart"))
        XCTAssertTrue(message("{name: mmoe, encoder: nosuchmodel}").contains("nosuchmodel"))
        XCTAssertTrue(message("{name: mmoe, encoder: {name: splitres, widht: 2}}").contains("widht"))
        XCTAssertTrue(message("{name: cgc, encoder: {name: splitres, split: 5}, num_experts: [1, 1, 1]}").contains("num_experts"))
        XCTAssertTrue(message("{name: cgc, encoder: {name: splitres, split: 5}, num_experts: [0, 0]}").contains("at least one expert"))
        XCTAssertTrue(message("{name: mtan, encoder: resnet}", dense: false).contains("multiples of 32"))
        XCTAssertTrue(message("{name: mtan, encoder: {name: resnet, blocks: [1, 2, 2, 2]}}", dense: false).contains("at least 2 blocks"))
    }
}
