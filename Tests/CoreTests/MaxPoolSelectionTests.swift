import XCTest
@testable import TandemCore

/// The unrolled 2×2 max-pool picks the same maximum and position as a plain scan of the window:
/// the first maximum in row-major order wins ties, and −∞ windows keep the top-left position. Widths
/// whose windows the four-at-a-time path covers entirely, in part (the rest one by one), and not at all.
final class MaxPoolSelectionTests: XCTestCase {
    func testTwoByTwoMatchesAPlainScanWithTies() {
        var generator = SeededGenerator(seed: 11)
        for width in [8, 14, 2, 19] {
            let shape = [3, 2, 6, width], plane = 6 * width, outW = width / 2
            // Values from a small set, so most windows hold ties; some windows are all −∞.
            let choices: [Float] = [-.infinity, -1, 0, 0.5, 2]
            let values = (0..<Shape.count(shape)).map { _ in choices[Int(generator.next() % UInt64(choices.count))] }
            let x = Tensor(shape: shape, scalars: values).tracked()
            let y = maxPool2d(x, size: 2)
            var positions = [Float](repeating: -1, count: y.count)
            // The positions are observable through the gradient: a one-hot cotangent lands on the winner.
            let inputGradient = grad(of: (maxPool2d(x, size: 2) * Tensor(shape: y.shape, scalars: (0..<y.count).map { Float($0 + 1) })).sum(),
                                     wrt: [x])[0]
            for (index, value) in inputGradient.scalars.enumerated() where value != 0 { positions[Int(value) - 1] = Float(index % plane) }
            for p in 0..<6 {
                for oh in 0..<3 {
                    for ow in 0..<outW {
                        var best = -Float.infinity, bestIndex = (2 * oh) * width + 2 * ow
                        for i in 0..<2 {
                            for j in 0..<2 {
                                let index = (2 * oh + i) * width + 2 * ow + j
                                if values[p * plane + index] > best { best = values[p * plane + index]; bestIndex = index }
                            }
                        }
                        let k = (p * 3 + oh) * outW + ow
                        XCTAssertEqual(y.scalars[k], best, "width \(width): value at plane \(p), (\(oh), \(ow))")
                        XCTAssertEqual(positions[k], Float(bestIndex), "width \(width): position at plane \(p), (\(oh), \(ow))")
                    }
                }
            }
        }
    }
}
