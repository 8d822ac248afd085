import XCTest
import TandemCore
@testable import TandemStrategies

/// TMT's tensor forms against the array reference, and what it refuses (the §11 vectors are
/// pinned vectors, PinnedVectors/TaskMetaTransferVectors.swift).
final class TaskMetaTransferTests: XCTestCase {
    let tasks = [TaskSpec(name: "primary", kind: .regression(outputs: 2), role: .primary),
                 TaskSpec(name: "aux", kind: .regression(outputs: 3), role: .auxiliary)]

    func assertClose(_ actual: [Float], _ expected: [Double], tolerance: Double = 2e-5, _ what: String, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, what, line: line)
        for (a, e) in zip(actual, expected) {
            XCTAssertEqual(Double(a), e, accuracy: tolerance * max(1, abs(e)), "\(what): \(actual) vs \(expected)", line: line)
        }
    }

    /// The tensor projection and its closed-form gradient agree with the array reference.
    func testTensorProjectionMatchesTheReference() throws {
        var generator = SeededGenerator(seed: 4)
        let phi = GradientProjection(channels: 5, rank: 2, initialScale: 0.5, generator: &generator)
        let g = Tensor.randomNormal([3, 5, 2, 2], generator: &generator), u = Tensor.randomNormal([3, 5, 2, 2], generator: &generator)
        let diagonal = phi.diagonal.scalars.map(Double.init)
        let lowRank = (0..<5).map { c in (0..<2).map { Double(phi.lowRank.scalars[c * 2 + $0]) } }
        let reference = try TaskMetaTransferGradient.transform(gradient: g.scalars, channelCount: 5, spatialCount: 4, diagonal: diagonal, lowRank: lowRank)
        assertClose(phi.apply(g).scalars, reference.map(Double.init), tolerance: 1e-5, "M g")
        let expected = try TaskMetaTransferGradient.metaGradient(jacobianVectorProduct: u.scalars, auxiliaryGradient: g.scalars, channelCount: 5,
                                                                 spatialCount: 4, innerLearningRate: 0.3, lowRank: lowRank)
        let actual = phi.metaGradient(jacobianVectorProduct: u, auxiliaryGradient: g, innerStep: 0.3)
        assertClose(actual.diagonal.scalars, expected.diagonal, tolerance: 1e-5, "∂/∂λ")
        assertClose(actual.lowRank.scalars, expected.lowRank.flatMap { $0 }, tolerance: 1e-5, "∂/∂U")
        // ‖M − I‖_F against the explicit matrix.
        var total = 0.0
        for c in 0..<5 {
            for d in 0..<5 {
                let entry = (c == d ? diagonal[c] - 1 : 0) + (0..<2).reduce(0.0) { $0 + lowRank[c][$1] * lowRank[d][$1] }
                total += entry * entry
            }
        }
        XCTAssertEqual(phi.distanceFromIdentity, total.squareRoot(), accuracy: 1e-6)
    }

    func testRefusals() {
        XCTAssertThrowsError(try TaskMetaTransfer(tasks: [tasks[0]])) { error in
            XCTAssertTrue("\(error)".contains("auxiliary task"), "\(error)")
        }
        XCTAssertThrowsError(try TaskMetaTransfer(tasks: [tasks[1]])) { error in
            XCTAssertTrue("\(error)".contains("primary task"), "\(error)")
        }
        XCTAssertThrowsError(try TaskMetaTransfer(tasks: tasks, initialScale: 0)) { error in
            XCTAssertTrue("\(error)".contains("U never moves"), "\(error)")
        }
    }
}
