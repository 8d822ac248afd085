import XCTest
import Foundation
@testable import Tandem
import TandemCore

/// Round 3: every strategy option with a declared numeric range, set to either end, either trains
/// (12 steps of the tiny recipe, into a third epoch, so epoch-based strategies move too) or stops
/// with a message of Tandem's own — a recipe error, a non-finite quantity named with its step —
/// never a raw encoding or Foundation error. The numbers trained are not looked at.
final class StrategyRangeEndsTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-range-ends-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try SlurmTests.writeTinySuite(into: folder)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// Every (strategy, option, end) of the standard registry.
    static func ends() -> [(strategy: String, option: String, value: String)] {
        var ends: [(String, String, String)] = []
        for name in Registry.standard.strategyNames {
            for spec in Registry.standard.strategies[name]!.description.options {
                switch spec.type {
                case let .integer(range?): ends += [(name, spec.name, "\(range.lowerBound)"), (name, spec.name, "\(range.upperBound)")]
                case let .number(range?): ends += [(name, spec.name, "\(range.lowerBound)"), (name, spec.name, "\(range.upperBound)")]
                default: break
                }
            }
        }
        return ends
    }

    func testEveryRangeEndTrainsOrStopsWithAMessage() throws {
        let ends = StrategyRangeEndsTests.ends()
        XCTAssertGreaterThan(ends.count, 40)
        var outcomes: [String] = []
        for (strategy, option, value) in ends {
            let label = "\(strategy).\(option)=\(value)"
            do {
                // TMT trains from limited parallel labels: give it some, so its ends are trained too.
                let labels = strategy == "tmt" ? ["labels={parallel_fraction: 0.5, alternate_every: 2}"] : []
                let recipe = try Recipe.load(folder.appendingPathComponent("base.yaml").path,
                                             overrides: ["budget.steps=12", "evaluation.every=4", "strategy={name: \(strategy), \(option): \(value)}"] + labels)
                let output = folder.appendingPathComponent("runs").appendingPathComponent(label.replacingOccurrences(of: "/", with: "_"))
                try Experiment(recipe: recipe, outputFolder: output).run()
                outcomes.append("\(label): trained")
            } catch {
                let text = "\(error)"
                XCTAssertFalse(error is EncodingError || text.contains("EncodingError") || text.contains("Error Domain"), "\(label): \(text)")
                XCTAssertTrue(error is RecipeError || error is NonFiniteValueError || error is CommandError || text.contains(strategy),
                              "\(label): an error that names neither the recipe field, the step nor the strategy: \(text)")
                outcomes.append("\(label): stopped — \(text.prefix(100))")
            }
        }
        XCTAssertEqual(outcomes.count, ends.count)
        // Most ends train; a test that only ever saw refusals would prove nothing.
        XCTAssertGreaterThan(outcomes.filter { $0.hasSuffix(": trained") }.count, ends.count / 2, outcomes.joined(separator: "\n"))
    }
}
