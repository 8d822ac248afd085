import XCTest
@testable import TandemCore

/// The unrolled 2×2 max-pool picks the same maximum and position as a plain scan of the window:
/// the first maximum in row-major order wins ties, and −∞ windows keep the top-left position.
final class MaxPoolSelectionTests: XCTestCase {
    func testTwoByTwoMatchesAPlainScanWithTies() {
        var generator = SeededGenerator(seed: 11)
        let shape = [3, 2, 6, 8]
        // Values from a small set, so most windows hold ties; some windows are all −∞.
        let choices: [Float] = [-.infinity, -1, 0, 0.5, 2]
        let values = (0..<Shape.count(shape)).map { _ in choices[Int(generator.next() % UInt64(choices.count))] }
        let x = Tensor(shape: shape, scalars: values).tracked()
        let y = maxPool2d(x, size: 2)
        var positions = [Float](repeating: -1, count: y.count)
        // The positions are observable through the gradient: a one-hot cotangent lands on the winner.
        let inputGradient = grad(of: (maxPool2d(x, size: 2) * Tensor(shape: y.shape, scalars: (0..<y.count).map { Float($0 + 1) })).sum(), wrt: [x])[0]
        for (index, value) in inputGradient.scalars.enumerated() where value != 0 { positions[Int(value) - 1] = Float(index % 48) }
        for plane in 0..<6 {
            for oh in 0..<3 {
                for ow in 0..<4 {
                    var best = -Float.infinity, bestIndex = (2 * oh) * 8 + 2 * ow
                    for i in 0..<2 {
                        for j in 0..<2 {
                            let index = (2 * oh + i) * 8 + 2 * ow + j
                            if values[plane * 48 + index] > best { best = values[plane * 48 + index]; bestIndex = index }
                        }
                    }
                    let k = plane * 12 + oh * 4 + ow
                    XCTAssertEqual(y.scalars[k], best, "value at plane \(plane), (\(oh), \(ow))")
                    XCTAssertEqual(positions[k], Float(bestIndex), "position at plane \(plane), (\(oh), \(ow))")
                }
            }
        }
    }
}
