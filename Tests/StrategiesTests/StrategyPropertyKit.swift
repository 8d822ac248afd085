import XCTest
import TandemCore
import TandemStrategies

/// How a strategy's combined direction responds to scaling every task gradient by c > 0.
enum ScalingBehaviour {
    /// d(cG) = c·d(G).
    case homogeneous
    /// d(cG) = d(G).
    case invariant
    /// No simple law (documented per strategy); not tested.
    case unspecified
}

/// A strategy registered with the property kit: every strategy gets every property test for free.
struct StrategyUnderTest {
    var name: String
    var make: (_ tasks: [TaskSpec]) -> any GradientCombiner
    /// Tasks can be reordered without changing the result (false for strategies that draw a random
    /// task order; the kit then checks relabelling with two tasks, where the order is forced).
    var orderInvariant = true
    var scaling: ScalingBehaviour = .homogeneous
    /// Roles the tasks need (e.g. IAL wants one primary and auxiliaries).
    var roles: (Int) -> [TaskRole] = { count in [TaskRole](repeating: .primary, count: count) }
}

/// The shared property tests, run against each strategy in `StrategyPropertyTests.strategies`.
enum StrategyPropertyKit {
    static func tasks(_ names: [String], roles: [TaskRole]) -> [TaskSpec] {
        zip(names, roles).map { TaskSpec(name: $0, kind: .regression(outputs: 1), role: $1) }
    }

    static func combine(_ subject: StrategyUnderTest, _ gradients: [[Float]], losses: [Float], names: [String]? = nil,
                        roles: [TaskRole]? = nil, strategy: (any GradientCombiner)? = nil) throws -> GradientCombinationProblem.Outcome {
        let names = names ?? (0..<gradients.count).map { "t\($0)" }
        let roles = roles ?? subject.roles(gradients.count)
        let problem = GradientCombinationProblem(gradients: gradients, losses: losses, taskNames: names, roles: roles)
        return try problem.combine(with: strategy ?? subject.make(tasks(names, roles: roles)))
    }

    static func assertClose(_ a: [Float], _ b: [Float], tolerance: Float = 1e-4, _ message: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, message, file: file, line: line)
        let scale = max(1, b.map(abs).max() ?? 1)
        for (x, y) in zip(a, b) where abs(x - y) > tolerance * scale {
            XCTFail("\(message): \(a) vs \(b)", file: file, line: line)
            return
        }
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        let dot = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
        let na = a.reduce(0) { $0 + $1 * $1 }.squareRoot(), nb = b.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return dot / max(na * nb, 1e-12)
    }

    static let g3: [[Float]] = [[1, 2, -1, 0.5], [-2, 1, 0.5, -1], [0.5, -1.5, 2, -1]]
    static let l3: [Float] = [0.8, 1.5, 2.2]

    static func run(_ s: StrategyUnderTest, file: StaticString = #filePath, line: UInt = #line) throws {
        // Relabelling tasks permutes the result consistently.
        let count = s.orderInvariant ? 3 : 2
        let rows = Array(g3.prefix(count)), losses = Array(l3.prefix(count))
        let names = (0..<count).map { "t\($0)" }
        let base = try combine(s, rows, losses: losses, names: names)
        let order = Array((0..<count).reversed())
        let roles = s.roles(count)
        let permuted = try combine(s, order.map { rows[$0] }, losses: order.map { losses[$0] }, names: order.map { names[$0] },
                                   roles: order.map { roles[$0] })
        assertClose(permuted.direction, base.direction, "\(s.name): relabelling tasks changed the direction", file: file, line: line)
        for name in names {
            XCTAssertEqual(permuted.decoderWeights[name]!, base.decoderWeights[name]!, accuracy: 1e-5,
                           "\(s.name): relabelling changed task \(name)'s decoder weight", file: file, line: line)
        }

        // One task alone reduces to plain training: a positive multiple of its gradient.
        let single = try combine(s, [g3[0]], losses: [l3[0]])
        XCTAssertGreaterThan(cosine(single.direction, g3[0]), 0.9999, "\(s.name): one task is not plain training", file: file, line: line)

        // Identical task gradients give a direction parallel to them.
        let same = try combine(s, [g3[1], g3[1], g3[1]], losses: l3)
        XCTAssertGreaterThan(cosine(same.direction, g3[1]), 0.9999, "\(s.name): identical gradients, direction not parallel", file: file, line: line)

        // Zero gradients give zero.
        let zero = try combine(s, [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]], losses: l3)
        XCTAssertTrue(zero.direction.allSatisfy { $0 == 0 }, "\(s.name): zero gradients gave \(zero.direction)", file: file, line: line)

        // Scaling behaviour.
        let c: Float = 3
        let scaled = try combine(s, g3.map { $0.map { $0 * c } }, losses: l3)
        let unscaled = try combine(s, g3, losses: l3)
        switch s.scaling {
        case .homogeneous: assertClose(scaled.direction, unscaled.direction.map { $0 * c }, "\(s.name): d(cG) ≠ c·d(G)", file: file, line: line)
        case .invariant: assertClose(scaled.direction, unscaled.direction, "\(s.name): d(cG) ≠ d(G)", file: file, line: line)
        case .unspecified: break
        }

        // State survives a save/restore bit for bit.
        let tasks = tasks(["t0", "t1", "t2"], roles: s.roles(3))
        let original = s.make(tasks)
        for k in 0..<3 {
            _ = try combine(s, g3.map { $0.map { $0 * Float(k + 1) } }, losses: l3.map { $0 / Float(k + 1) }, names: tasks.map(\.name), strategy: original)
            original.notifyEpochEnded(meanLosses: ["t0": 1 + Float(k), "t1": 2 - 0.3 * Float(k), "t2": 0.5])
        }
        let restored = s.make(tasks)
        try restored.restoreStrategyState(original.saveStrategyState())
        restored.decoder.ownParameters = original.decoder.ownParameters
        for k in 0..<2 {
            let problemRows = g3.map { $0.map { $0 * Float(2 - k) } }
            let a = try combine(s, problemRows, losses: l3, names: tasks.map(\.name), strategy: original)
            let b = try combine(s, problemRows, losses: l3, names: tasks.map(\.name), strategy: restored)
            XCTAssertEqual(a.direction, b.direction, "\(s.name): restored state behaves differently", file: file, line: line)
            XCTAssertEqual(a.decoderWeights, b.decoderWeights, "\(s.name): restored decoder differs", file: file, line: line)
        }
        XCTAssertEqual(original.saveStrategyState(), restored.saveStrategyState(), "\(s.name): state differs after identical steps", file: file, line: line)
    }
}
