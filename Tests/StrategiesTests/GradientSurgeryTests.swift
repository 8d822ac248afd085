import XCTest
import TandemStrategies

/// STRATEGIES.md §5 (PCGrad), §13f (GradVac), §9 (GCS), §13e (GradDrop).
final class GradientSurgeryTests: XCTestCase {
    func projected(_ rows: [[Float]], _ orders: [[Int]]) throws -> [[Float]] {
        try PCGradProjection.projectedRows(of: TaskGradientMatrix(rows: rows), orders: orders).rows
    }

    func testPCGradClassicAndG2() throws {
        let classic: [[Float]] = [[1, 0], [-1, 1]]
        let p = try projected(classic, PCGradProjection.ascendingOrders(taskCount: 2))
        assertClose(p[0], [0.5, 0.5], "p1"); assertClose(p[1], [0, 1], "p2")
        let weights = try PCGradProjection.directionWeights(gram: MathFixtures.matrix(classic).gram(), orders: [[1], [0]])
        assertClose(try MathFixtures.matrix(classic).combine(weights: weights), [0.5, 1.5], "d")

        let g2 = MathFixtures.matrix(MathFixtures.g2)
        let p2 = try projected(MathFixtures.g2, [[1], [0]])
        assertClose(p2[0], [1.71429, 1.42857, -0.857143], "G2 p1")
        assertClose(p2[1], [-0.666667, 1.66667, 0.333333], "G2 p2")
        assertClose(try g2.combine(weights: PCGradProjection.directionWeights(gram: g2.gram(), orders: [[1], [0]])),
                    [1.04762, 3.09524, -0.52381], "G2 d sum")
        assertClose(try g2.combine(weights: PCGradProjection.directionWeights(gram: g2.gram(), orders: [[1], [0]], reduction: .mean)),
                    [0.52381, 1.54762, -0.261905], "G2 d mean")
    }

    func testPCGradG3Orders() throws {
        let g3 = MathFixtures.matrix(MathFixtures.g3)
        let a = try projected(MathFixtures.g3, PCGradProjection.ascendingOrders(taskCount: 3))
        assertClose(a[0], [1.01867, 1.144, 0.434667, -0.337333], "A p1")
        assertClose(a[1], [-1.75333, 1.06, 0.686667, -1.09333], "A p2")
        assertClose(a[2], [0.884, 0.308, 1.304, -0.808], "A p3")
        assertClose(try g3.combine(weights: PCGradProjection.directionWeights(gram: g3.gram(), orders: PCGradProjection.ascendingOrders(taskCount: 3))),
                    [0.149333, 2.512, 2.42533, -2.23867], "A d")
        let descending = PCGradProjection.descendingOrders(taskCount: 3)
        XCTAssertEqual(descending, [[2, 1], [2, 0], [1, 0]])
        let b = try projected(MathFixtures.g3, descending)
        assertClose(b[0], [0.906667, 1.21333, 0.44, -0.38], "B p1")
        assertClose(b[1], [-1.75333, 1.32667, 0.42, -0.96], "B p2")
        assertClose(b[2], [1.1528, 0.2056, 1.2272, -0.6736], "B p3")
        assertClose(try g3.combine(weights: PCGradProjection.directionWeights(gram: g3.gram(), orders: descending)),
                    [0.306133, 2.7456, 2.0872, -2.0136], "B d")
    }

    /// The Gram-coefficient surgery equals the direct vector algorithm of the paper.
    func testPCGradMatchesTheDirectAlgorithm() throws {
        var generator = SplitMix64(seed: 7)
        let rows: [[Float]] = (0..<5).map { _ in (0..<40).map { _ in Float(Int(generator.next() % 2001) - 1000) / 500 } }
        let orders = PCGradProjection.randomOrders(taskCount: 5, using: &generator)
        var direct = rows.map { $0.map(Double.init) }
        for i in 0..<5 {
            for j in orders[i] {
                let gj = rows[j].map(Double.init)
                let product = MathFixtures.dot(direct[i], gj)
                if product < 0 { let s = product / MathFixtures.dot(gj, gj); direct[i] = zip(direct[i], gj).map { $0 - s * $1 } }
            }
        }
        let viaGram = try projected(rows, orders)
        for i in 0..<5 { assertClose(viaGram[i], direct[i], relative: 1e-5, absolute: 1e-5, "task \(i)") }
    }

    func testRandomOrdersArePermutationsAndSeeded() throws {
        var first = SplitMix64(seed: 3), second = SplitMix64(seed: 3)
        let a = PCGradProjection.randomOrders(taskCount: 6, using: &first)
        XCTAssertEqual(a, PCGradProjection.randomOrders(taskCount: 6, using: &second))
        for (i, order) in a.enumerated() { XCTAssertEqual(order.sorted(), (0..<6).filter { $0 != i }) }
        assertThrowsMathError(try PCGradProjection.coefficients(gram: MathFixtures.m3, orders: [[1, 2], [0, 2]]))
        assertThrowsMathError(try PCGradProjection.coefficients(gram: MathFixtures.m3, orders: [[1, 2], [0, 1], [0, 1]]))
        assertThrowsMathError(try PCGradProjection.coefficients(gram: MathFixtures.m3, orders: [[0, 2], [0, 2], [0, 1]]))
    }

    func testGradVac() throws {
        let g2 = MathFixtures.matrix(MathFixtures.g2)
        var zero = GradVacProjection.initialTargets(taskCount: 2)
        let pcgradLike = try GradVacProjection.directionWeights(gram: g2.gram(), orders: [[1], [0]], targets: &zero, decay: 0.5)
        assertClose(try g2.combine(weights: pcgradLike), [1.04762, 3.09524, -0.52381], "ρ̂ = 0 is PCGrad")
        assertClose([zero[0][1], zero[1][0]], [-0.109109, -0.109109], "new ρ̂")

        var targets = [[0, 0.3], [0.3, 0]]
        let c = try GradVacProjection.coefficients(gram: g2.gram(), orders: [[1], [0]], targets: &targets, decay: 0.5)
        let p1 = try g2.combine(weights: c[0]), p2 = try g2.combine(weights: c[1])
        assertClose(p1, [1.31245, 2.03132, -0.656225], "p1")
        assertClose(p2, [-0.197859, 1.90107, 0.0989297], "p2")
        assertClose(try g2.combine(weights: [c[0][0] + c[1][0], c[0][1] + c[1][1]]), [1.11459, 3.93239, -0.557296], "d")
        let cosine = MathFixtures.dot(p1, MathFixtures.g2[1]) / (MathFixtures.dot(p1, p1) * MathFixtures.dot(MathFixtures.g2[1], MathFixtures.g2[1])).squareRoot()
        assertClose(cosine, 0.3, "cos(p1, g2)")
        assertClose([targets[0][1], targets[1][0]], [0.0408911, 0.0408911], "new ρ̂")

        var bad = [[0, 1.5], [0, 0]]
        assertThrowsMathError(try GradVacProjection.coefficients(gram: g2.gram(), orders: [[1], [0]], targets: &bad))
        var fine = [[0.0, 0], [0, 0]]
        assertThrowsMathError(try GradVacProjection.coefficients(gram: g2.gram(), orders: [[1], [0]], targets: &fine, decay: 2))
    }

    func testGradientCosineGate() throws {
        let rows: [[Float]] = [[1, 2, -1], [2, 0, 1], [-1, -1, 0], [0.5, 1, 3]]
        let g = MathFixtures.matrix(rows)
        assertClose(try GradientCosineGate.cosines(gram: g.gram()), [0.182574, -0.866025, -0.0637577], "cos")
        assertClose(try g.combine(weights: GradientCosineGate.directionWeights(gram: g.gram(), mode: .weighted)),
                    [1.36515, 2, -0.817426], "weighted")
        assertClose(try g.combine(weights: GradientCosineGate.directionWeights(gram: g.gram(), mode: .hard)), [3, 2, 0], "hard")
        assertThrowsMathError(try GradientCosineGate.cosines(gram: [[1]]))
    }

    func testGradDrop() throws {
        let h1: [Float] = [0.5, -1, 0.2, 0.3, 0.4, -0.1]
        let h2: [Float] = [-0.2, 0.6, 0.3, -0.4, -0.2, 0.5]
        let activations: [Float] = [1, -2, 0.5, -0.3, 1, 2]
        let result = try GradDropCombination.combine(taskGradients: [h1, h2], activations: activations, featureCount: 3,
                                                     thresholds: [0.3, 0.6, 0.9])
        assertClose(result.signedSums[0], [0.2, 1.4, 0.1], "S1")
        assertClose(result.signedSums[1], [0.2, -0.8, 0.8], "S2")
        assertClose(result.purity, [1, 0.636364, 1], "P")
        XCTAssertEqual(result.masks, [[1, 1, 1], [1, 0, 1]])
        assertClose(result.combined, [0.3, -1, 0.5, -0.1, 0.4, 0.4], "h")
        // Full leak keeps every gradient: h = h1 + h2.
        let leaky = try GradDropCombination.combine(taskGradients: [h1, h2], activations: activations, featureCount: 3,
                                                    thresholds: [0.3, 0.6, 0.9], leak: 1)
        assertClose(leaky.combined, zip(h1, h2).map { Double($0 + $1) }, "leak 1")
        var generator = SplitMix64(seed: 1)
        let thresholds = GradDropCombination.randomThresholds(featureCount: 1000, using: &generator)
        XCTAssertTrue(thresholds.allSatisfy { $0 >= 0 && $0 < 1 })
        XCTAssertEqual(thresholds.reduce(0, +) / 1000, 0.5, accuracy: 0.05)
        assertThrowsMathError(try GradDropCombination.combine(taskGradients: [h1, [1]], activations: activations, featureCount: 3, thresholds: [0, 0, 0]))
        assertThrowsMathError(try GradDropCombination.combine(taskGradients: [h1], activations: activations, featureCount: 4, thresholds: [0, 0, 0, 0]))
    }
}
