import Testing
import TandemCore
import TandemStrategies

/// The properties every strategy is held to (as far as its description promises them), each
/// checked on several input families.
enum StrategyProperty: String, CaseIterable, Sendable {
    case relabelling, oneTask, identicalGradients, zeroGradients, scaling, stateRoundTrip, nonConflictingSum
}

/// Inputs for the properties: G3 (every pair conflicting), a non-conflicting set, one dominant
/// task, and an ill-conditioned set.
enum InputFamily: String, CaseIterable, Sendable {
    case conflicting, nonConflicting, dominant, illConditioned

    var gradients: [[Float]] {
        switch self {
        case .conflicting: return [[1, 2, -1, 0.5], [-2, 1, 0.5, -1], [0.5, -1.5, 2, -1]]
        case .nonConflicting: return [[1, 0.5, 0, 0.2], [0.3, 1, 0.2, 0], [0, 0.4, 1, 0.3]]
        case .dominant: return [[20, -10, 5, 8], [-0.5, 1, 0.2, -0.3], [0.3, -0.2, 0.6, 0.1]]
        case .illConditioned: return [[1, 1, 0, 0.001], [1, 1.001, 0, 0], [-0.2, 0.1, 0.05, 1]]
        }
    }
    var losses: [Float] { [0.8, 1.5, 2.2] }
}

enum StrategyPropertyKit {
    static func tasks(_ names: [String], roles: [TaskRole]) -> [TaskSpec] {
        zip(names, roles).map { TaskSpec(name: $0, kind: .regression(outputs: 1), role: $1) }
    }

    static func combine(_ strategy: any GradientCombiner, _ gradients: [[Float]], losses: [Float], names: [String],
                        roles: [TaskRole]) throws -> GradientCombinationProblem.Outcome {
        try GradientCombinationProblem(gradients: gradients, losses: losses, taskNames: names, roles: roles).combine(with: strategy)
    }

    static func fresh(_ c: StrategyConfiguration, _ count: Int) throws -> (any GradientCombiner, [String], [TaskRole]) {
        let names = (0..<count).map { "t\($0)" }
        let roles = c.roles(count)
        return (try c.make(tasks(names, roles: roles)), names, roles)
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        let dot = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
        let na = a.reduce(0) { $0 + $1 * $1 }.squareRoot(), nb = b.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return dot / max(na * nb, 1e-12)
    }

    static func close(_ a: [Float], _ b: [Float], tolerance: Float = 1e-4) -> Bool {
        guard a.count == b.count else { return false }
        let scale = max(1, b.map(abs).max() ?? 1)
        return zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * scale }
    }

    /// Whether `property` applies to `c` at all.
    static func applies(_ property: StrategyProperty, to c: StrategyConfiguration) -> Bool {
        switch property {
        case .relabelling: return !c.behaviour.isRandomised
        case .oneTask: return c.behaviour.singleTaskIsPlainTraining
        case .identicalGradients, .zeroGradients, .stateRoundTrip: return true
        case .scaling: return c.behaviour.scaling != .unspecified
        case .nonConflictingSum: return c.behaviour.leavesNonConflictingSum
        }
    }

    static func check(_ property: StrategyProperty, _ c: StrategyConfiguration, _ family: InputFamily) throws {
        let rows = family.gradients, losses = family.losses
        switch property {
        case .relabelling:
            // Random-order methods: with two tasks the order is forced.
            let count = c.behaviour.orderInvariant ? 3 : 2
            let (s1, names, roles) = try fresh(c, count)
            let base = try combine(s1, Array(rows.prefix(count)), losses: Array(losses.prefix(count)), names: names, roles: roles)
            let order = Array((0..<count).reversed())
            let (s2, _, _) = try fresh(c, count)
            let permuted = try combine(s2, order.map { rows[$0] }, losses: order.map { losses[$0] }, names: order.map { names[$0] },
                                       roles: order.map { roles[$0] })
            #expect(close(permuted.direction, base.direction), "\(c): relabelling tasks changed the direction \(base.direction) → \(permuted.direction)")
            for name in names {
                #expect(abs(permuted.decoderWeights[name]! - base.decoderWeights[name]!) <= 1e-5 * max(1, abs(base.decoderWeights[name]!)),
                        "\(c): relabelling changed task \(name)'s decoder weight")
            }
        case .oneTask:
            let (s, names, roles) = try fresh(c, 1)
            let single = try combine(s, [rows[0]], losses: [losses[0]], names: names, roles: roles)
            #expect(cosine(single.direction, rows[0]) > 0.9999, "\(c): one task is not plain training: \(single.direction) for \(rows[0])")
        case .identicalGradients:
            let (s, names, roles) = try fresh(c, 3)
            let same = try combine(s, [rows[1], rows[1], rows[1]], losses: losses, names: names, roles: roles)
            #expect(cosine(same.direction, rows[1]) > 0.9999, "\(c): identical gradients, direction \(same.direction) not parallel to \(rows[1])")
        case .zeroGradients:
            let (s, names, roles) = try fresh(c, 3)
            let zero = try combine(s, [[Float]](repeating: [0, 0, 0, 0], count: 3), losses: losses, names: names, roles: roles)
            #expect(zero.direction == [0, 0, 0, 0], "\(c): zero gradients gave \(zero.direction)")
        case .scaling:
            let factor: Float = 3
            let (s1, names, roles) = try fresh(c, 3)
            let (s2, _, _) = try fresh(c, 3)
            let unscaled = try combine(s1, rows, losses: losses, names: names, roles: roles)
            let scaled = try combine(s2, rows.map { $0.map { $0 * factor } }, losses: losses, names: names, roles: roles)
            let expected = c.behaviour.scaling == .homogeneous ? unscaled.direction.map { $0 * factor } : unscaled.direction
            #expect(close(scaled.direction, expected), "\(c): d(3G) = \(scaled.direction), expected \(expected) (\(c.behaviour.scaling))")
        case .nonConflictingSum:
            let (s, names, roles) = try fresh(c, 3)
            let outcome = try combine(s, InputFamily.nonConflicting.gradients, losses: losses, names: names, roles: roles)
            let sum = (0..<4).map { j in InputFamily.nonConflicting.gradients.reduce(Float(0)) { $0 + $1[j] } }
            let mean = sum.map { $0 / 3 }
            #expect(close(outcome.direction, sum) || close(outcome.direction, mean),
                    "\(c): non-conflicting gradients were changed: \(outcome.direction) vs Σg = \(sum) (or its mean)")
        case .stateRoundTrip:
            let (original, names, roles) = try fresh(c, 3)
            for k in 0..<3 {
                _ = try combine(original, rows.map { $0.map { $0 * Float(k + 1) } }, losses: losses.map { $0 / Float(k + 1) }, names: names, roles: roles)
                original.notifyEpochEnded(meanLosses: ["t0": 1 + Float(k), "t1": 2 - 0.3 * Float(k), "t2": 0.5])
            }
            let (restored, _, _) = try fresh(c, 3)
            try restored.restoreStrategyState(original.saveStrategyState())
            restored.decoder.ownParameters = original.decoder.ownParameters
            for k in 0..<2 {
                let problemRows = rows.map { $0.map { $0 * Float(2 - k) } }
                let a = try combine(original, problemRows, losses: losses, names: names, roles: roles)
                let b = try combine(restored, problemRows, losses: losses, names: names, roles: roles)
                #expect(a.direction == b.direction, "\(c): restored state behaves differently")
                #expect(a.decoderWeights == b.decoderWeights, "\(c): restored decoder differs")
            }
            #expect(original.saveStrategyState() == restored.saveStrategyState(), "\(c): state differs after identical steps")
        }
    }
}
