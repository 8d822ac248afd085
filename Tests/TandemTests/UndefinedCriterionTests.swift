import XCTest
import Foundation
@testable import Tandem
import TandemCore

/// Round 3: a run whose selection criterion cannot be computed — the validation split has no
/// valid label of the criterion's task — is refused before any training, naming the criterion;
/// and an undefined validation error never stops a result from being written (it is `null`).
final class UndefinedCriterionTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-undefined-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func testACriterionWithoutValidLabelsIsRefusedBeforeTraining() throws {
        try NYUv2TreeFixture.writeTree(into: folder, validDepth: false)
        for selection in ["best", "last", "window, window: 2"] {
            let recipe = try NYUv2TreeFixture.writeRecipe(into: folder,
                                                                evaluation: "{every: 2, batch_size: 2, criterion: depth.absError, selection: \(selection)}")
            let experiment = try Experiment(recipe: recipe)
            XCTAssertThrowsError(try experiment.run(), selection) {
                XCTAssertTrue("\($0)".contains("nyu.yaml") && "\($0)".contains("evaluation.criterion depth.absError cannot be computed")
                              && "\($0)".contains("validation split has no valid depth label"), "\($0)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: experiment.checkpointURL.path), "nothing was trained")
        }
        // The same split with valid depth trains and writes its result.
        try NYUv2TreeFixture.writeTree(into: folder, validDepth: true)
        let recipe = try NYUv2TreeFixture.writeRecipe(into: folder, evaluation: "{every: 2, batch_size: 2, criterion: depth.absError}")
        try Experiment(recipe: recipe).run()
        XCTAssertTrue(FileManager.default.fileExists(atPath: try Experiment(recipe: recipe).resultURL.path))
    }

    func testAnUndefinedValidationErrorIsWrittenAsNull() throws {
        let history = [EvaluationPoint(step: 2, validationError: .infinity, metrics: ["validation": ["depth": ["loss": 1]]]),
                       EvaluationPoint(step: 4, validationError: 0.5, metrics: [:])]
        let result = Experiment.Result(name: "r", strategy: "ew", seed: 0, steps: 4, metrics: [:], selectedSteps: [4], secondsPerStep: 0.1,
                                       history: history)
        let data = try JSONEncoder().encode(result)
        XCTAssertTrue(String(decoding: data, as: UTF8.self).contains("\"validationError\":null"), String(decoding: data, as: UTF8.self))
        XCTAssertEqual(try JSONDecoder().decode(Experiment.Result.self, from: data), result)
    }
}
