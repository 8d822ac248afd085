import Testing
import TandemCore
import TandemStrategies

extension PinnedVectors {
    /// STRATEGIES.md §5 (two tasks: the order is forced, so the seeded order does not matter).
    static let pcGrad: [PinnedVector] = [
        PinnedVector("pcgrad", "§5 classic g1 = [1, 0], g2 = [−1, 1] ⇒ d = [0.5, 1.5]") {
            expectClose(try Spec.combine(PCGrad(), [[1, 0], [-1, 1]]).direction, [0.5, 1.5], "d")
        },
        PinnedVector("pcgrad", "§5 G2 sum, both levels") {
            expectClose(try Spec.combine(PCGrad(), Spec.g2).direction, [1.04762, 3.09524, -0.52381], "parameters")
            expectClose(try Spec.combine(PCGrad(level: .representation), Spec.g2).direction, [1.04762, 3.09524, -0.52381], "representation")
        },
        PinnedVector("pcgrad", "§5 G2 mean") {
            expectClose(try Spec.combine(PCGrad(reduction: .mean), Spec.g2).direction, [0.52381, 1.54762, -0.261905], "d")
        },
        PinnedVector("pcgrad", "§5 G3: the seeded orders give the projection of those orders") {
            var generator = SeededGenerator(seed: 5)
            let orders = PCGradProjection.randomOrders(taskCount: 3, using: &generator)
            let matrix = try TaskGradientMatrix(rows: Spec.g3)
            let expected = try matrix.combine(weights: PCGradProjection.directionWeights(gram: matrix.gram(), orders: orders)).map(Double.init)
            expectClose(try Spec.combine(PCGrad(seed: 5), Spec.g3).direction, expected, "d for orders \(orders)")
            let orderA = try matrix.combine(weights: PCGradProjection.directionWeights(gram: matrix.gram(), orders: PCGradProjection.ascendingOrders(taskCount: 3)))
            expectClose(orderA, [0.149333, 2.512, 2.42533, -2.23867], "spec order A")
        },
    ]
}
