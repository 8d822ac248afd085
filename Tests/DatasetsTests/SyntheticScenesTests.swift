import Foundation
import XCTest
@testable import TandemDatasets

final class SyntheticScenesTests: XCTestCase {
    func testPreviewGrid() throws {
        var options = SyntheticScenesOptions(count: 8, height: 64, width: 96, seed: 7)
        let scenes = try SyntheticScenes(options: options)
        let samples = try scenes.samples(Array(0..<6))
        try SampleGrid.writePNG(samples, classCount: 13, to: URL(fileURLWithPath: "/tmp/grid.png"), scale: 2)
        options.count = 1000
        let big = try SyntheticScenes(options: options)
        let start = Date()
        _ = try big.allSamples()
        print("1000 samples: \(Date().timeIntervalSince(start)) s")
    }
}
