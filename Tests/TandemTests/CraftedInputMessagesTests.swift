import XCTest
import Foundation
@testable import Tandem
import TandemCore
import TandemDatasets

/// Round 3, the remaining crafted inputs: plot ticks from any values, plain messages instead of
/// Foundation error codes or "permission" for files that are not regular files, `combine` held
/// to the recipe's role rule, and recipe options that would be silently ignored.
final class CraftedInputMessagesTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-crafted-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try SlurmTests.writeTinySuite(into: folder)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func testPlotTicksAreFewAndFiniteForAnyValues() {
        let extremes: [(Double, Double)] = [(-1.7e308, 1.7e308), (1e20, 1e20 + 1), (1.7e308, 1.7e308), (-.infinity, .infinity), (.nan, 1),
                                            (0, 1e-320), (5e-324, 5e-324), (-1e300, 1e300), (3, 3)]
        for (low, high) in extremes {
            let ticks = SVGPlot.ticks(low: low, high: high)
            XCTAssertTrue((2...8).contains(ticks.values.count), "\(low)…\(high): \(ticks.values.count) ticks")
            XCTAssertTrue(ticks.values.allSatisfy(\.isFinite) && Set(ticks.values).count == ticks.values.count, "\(low)…\(high): \(ticks.values)")
            XCTAssertLessThan(ticks.low, ticks.high)
        }
        let plot = SVGPlot(title: "t", xLabel: "step", yLabel: "loss",
                           series: [SVGPlot.Series(name: "a", points: [(0, 1.7e308), (1, -1.7e308), (2, 1e20), (3, .nan)], colorIndex: 0,
                                                   errors: [1e308, nil, .infinity, 1])])
        let svg = plot.svg()
        XCTAssertFalse(svg.contains("inf") || svg.contains("nan"), svg)
    }
}
