import XCTest
import TandemCore
import TandemStrategies

/// FAMO (§13j), the scale-invariant losses (§13l) and STCH (§13m).
final class LossScalarisationTests: XCTestCase {
    let l3 = MathFixtures.l3

    func testFAMOSpecificationSequenceWithAdam() throws {
        let g3 = MathFixtures.matrix(MathFixtures.g3)
        let step0 = try FAMOWeighting.weights(logits: [0, 0, 0], losses: l3)
        assertClose(step0.weights, [0.527157, 0.28115, 0.191693], "w₀")
        assertClose(step0.value, 0.409402, "L_FAMO")
        assertClose(try g3.combine(weights: step0.weights), [0.0607029, 1.04792, -0.00319488, -0.209265], "d₀")
        let gradient0 = try FAMOWeighting.logitGradient(logits: [0, 0, 0], lossesBefore: l3, lossesAfter: [0.7, 1.45, 2.0])
        assertClose(gradient0, [0.0153168, -0.0178932, 0.00257638], "∇ξ₀")

        // The logits step with TandemCore's Adam (PyTorch semantics, L2 weight decay 1e-3, lr 0.025).
        let adam = Adam(weightDecay: 1e-3)
        var xi = Parameters([("xi", Tensor(shape: [3], scalars: [0, 0, 0]))])
        var state = adam.initialState(for: xi)
        func step(_ gradient: [Double]) {
            let g = Parameters([("xi", Tensor(shape: [3], scalars: gradient.map(Float.init)))])
            (xi, state) = adam.step(parameters: xi, gradients: g, state: state, learningRate: 0.025)
        }
        step(gradient0)
        let xi1 = xi["xi"].scalars.map(Double.init)
        assertClose(xi1, [-0.025, 0.025, -0.0249999], relative: 1e-5, absolute: 1e-7, "ξ₁")
        assertClose(FAMOWeighting.softmax(xi1), [0.327732, 0.344535, 0.327732], relative: 1e-5, "z₁")

        let step1 = try FAMOWeighting.weights(logits: xi1, losses: [0.75, 1.4, 2.1])
        assertClose(step1.weights, [0.520746, 0.293274, 0.185981], relative: 1e-5, "w₁")
        let gradient1 = try FAMOWeighting.logitGradient(logits: xi1, lossesBefore: [0.75, 1.4, 2.1], lossesAfter: [0.7, 1.38, 1.9])
        assertClose(zip(gradient1, xi1).map { $0 + 1e-3 * $1 }, [0.00280125, -0.0158169, 0.0129906], relative: 1e-4, "Adam input")
        step(gradient1)
        assertClose(xi["xi"].scalars.map(Double.init), [-0.0448263, 0.0498726, -0.0465054], relative: 1e-5, "ξ₂")
    }

    func testFAMOPlainStepAndOffsets() throws {
        let gradient0 = try FAMOWeighting.logitGradient(logits: [0, 0, 0], lossesBefore: l3, lossesAfter: [0.7, 1.45, 2.0])
        let xi1 = FAMOWeighting.plainStep(logits: [0, 0, 0], gradient: gradient0, learningRate: 0.025, weightDecay: 1e-3)
        assertClose(xi1, [-0.00038292, 0.000447329, -6.44095e-05], relative: 1e-5, "plain ξ₁")
        let gradient1 = try FAMOWeighting.logitGradient(logits: xi1, lossesBefore: [0.75, 1.4, 2.1], lossesAfter: [0.7, 1.38, 1.9])
        assertClose(FAMOWeighting.plainStep(logits: xi1, gradient: gradient1, learningRate: 0.025, weightDecay: 1e-3),
                    [-0.000448274, 0.000837138, -0.000388864], relative: 1e-5, "plain ξ₂")

        let offsets = [0.3, 0.5, 1.0]
        let shifted = try FAMOWeighting.weights(logits: [0, 0, 0], losses: l3, offsets: offsets)
        assertClose(shifted.weights, [0.521739, 0.26087, 0.217391], "w with b")
        assertClose(try MathFixtures.matrix(MathFixtures.g3).combine(weights: shifted.weights),
                    [0.108696, 0.978261, 0.0434783, -0.217391], "d with b")
        assertThrowsMathError(try FAMOWeighting.weights(logits: [0, 0, 0], losses: l3, offsets: [1, 0, 0])) {
            if case .invalidArgument = $0 { return true }; return false
        }
    }

    func testScaleInvariantVariants() throws {
        let g3 = MathFixtures.matrix(MathFixtures.g3)
        let a = try ScaleInvariantLoss.evaluate(losses: l3, variant: .logSum)
        assertClose(a.value, 0.970779, "(a) value")
        assertClose(a.weights, [1.25, 0.666667, 0.454545], "(a) w")
        assertClose(try g3.combine(weights: a.weights), [0.143939, 2.48485, -0.00757576, -0.496212], "(a) d")
        for variant in [ScaleInvariantLoss.Variant.geometricMeanProduct, .geometricMean] {
            let b = try ScaleInvariantLoss.evaluate(losses: l3, variant: variant)
            assertClose(b.value, 1.38208, "\(variant) value")
            assertClose(b.weights, [0.575869, 0.30713, 0.209407], "\(variant) w")
            assertClose(try g3.combine(weights: b.weights), [0.0663121, 1.14476, -0.00349011, -0.228602], "\(variant) d")
        }
        let d = try ScaleInvariantLoss.evaluate(losses: l3, variant: .logOnePlus)
        assertClose(d.value, 2.66723, "(d) value")
        assertClose(try g3.combine(weights: d.weights), [-0.0881944, 1.04236, 0.269444, -0.434722], "(d) d")

        // Scale s = [10, 1, 0.1] on L_t and g_t: (a) and (b) unchanged (Π s = 1), (d) changes.
        let s: [Float] = [10, 1, 0.1]
        let scaled = MathFixtures.matrix(zip(MathFixtures.g3, s).map { row, k in row.map { $0 * k } })
        let scaledLosses = zip(l3, s).map { $0 * Double($1) }
        for variant in [ScaleInvariantLoss.Variant.logSum, .geometricMean] {
            let before = try g3.combine(weights: ScaleInvariantLoss.evaluate(losses: l3, variant: variant).weights)
            let after = try scaled.combine(weights: ScaleInvariantLoss.evaluate(losses: scaledLosses, variant: variant).weights)
            assertClose(after, before.map(Double.init), relative: 1e-5, "\(variant) invariant")
        }
        assertClose(try scaled.combine(weights: ScaleInvariantLoss.evaluate(losses: scaledLosses, variant: .logOnePlus).weights),
                    [0.352095, 2.49927, -0.747177, 0.0735883], relative: 1e-5, "(d) scaled")
        assertThrowsMathError(try ScaleInvariantLoss.evaluate(losses: [1, 0], variant: .logSum)) {
            if case .invalidArgument = $0 { return true }; return false
        }
        XCTAssertNoThrow(try ScaleInvariantLoss.evaluate(losses: [1, 0], variant: .logOnePlus))
    }

    func testSmoothTchebycheffGeneralForm() throws {
        let g3 = MathFixtures.matrix(MathFixtures.g3)
        let mu1 = try SmoothTchebycheffScalarisation.general(losses: l3, smoothing: 1)
        assertClose(mu1.value, 1.61668, "μ=1 value")
        assertClose(mu1.weights, [0.0864124, 0.109122, 0.137799], "μ=1 w")
        assertClose(try g3.combine(weights: mu1.weights), [-0.0629315, 0.0752477, 0.243747, -0.203715], "μ=1 d")
        let mu01 = try SmoothTchebycheffScalarisation.general(losses: l3, smoothing: 0.1)
        assertClose(mu01.value, 0.743442, "μ=0.1 value")
        assertClose(mu01.weights, [0.00283314, 0.0292161, 0.301284], "μ=0.1 w")
        assertClose(try g3.combine(weights: mu01.weights), [0.095043, -0.417044, 0.614343, -0.329084], "μ=0.1 d")
        assertThrowsMathError(try SmoothTchebycheffScalarisation.general(losses: l3, smoothing: 0)) {
            if case .invalidArgument = $0 { return true }; return false
        }
    }

    func testSmoothTchebycheffRecipeWithWarmUpAndNadir() throws {
        let g3 = MathFixtures.matrix(MathFixtures.g3)
        var schedule = SmoothTchebycheffScalarisation.NadirSchedule(warmUpEpochs: 4, taskCount: 3)
        // Warm-up epochs 0…3: the log-sum direction; nothing accumulated.
        let warm = try schedule.weights(losses: l3, epoch: 0, smoothing: 1)
        assertClose(try g3.combine(weights: warm.weights), [0.143939, 2.48485, -0.00757576, -0.496212], "warm-up d = 13l (a)")
        XCTAssertEqual(schedule.count, 0)
        // Epoch 4 accumulates two batches; n = [1, 2, 2] from the first step of epoch 5.
        _ = try schedule.weights(losses: [1.2, 1.8, 2.4], epoch: 4, smoothing: 1)
        _ = try schedule.weights(losses: [0.8, 2.2, 1.6], epoch: 4, smoothing: 1)
        XCTAssertNil(schedule.nadir)
        let after = try schedule.weights(losses: l3, epoch: 5, smoothing: 1)
        assertClose(schedule.nadir!, [1, 2, 2], "nadir")
        assertClose(after.weights, [1.13208, 0.566038, 0.566038], "μ=1 w")
        assertClose(try g3.combine(weights: after.weights), [0.283019, 1.98113, 0.283019, -0.566038], "μ=1 d")
        let sharp = try SmoothTchebycheffScalarisation.nadirNormalised(losses: l3, nadir: [1, 2, 2], smoothing: 0.1)
        assertClose(sharp.weights, [0.146025, 0.0408449, 1.28269], "μ=0.1 w")
        assertClose(try g3.combine(weights: sharp.weights), [0.705679, -1.59114, 2.43977, -1.25052], "μ=0.1 d")
        // The state round-trips through Codable.
        let decoded = try JSONDecoder().decode(SmoothTchebycheffScalarisation.NadirSchedule.self, from: JSONEncoder().encode(schedule))
        XCTAssertEqual(decoded, schedule)
        // Skipping the nadir epoch is an error, not a silent default.
        var skipped = SmoothTchebycheffScalarisation.NadirSchedule(warmUpEpochs: 1, taskCount: 3)
        assertThrowsMathError(try skipped.weights(losses: l3, epoch: 3, smoothing: 1)) {
            if case .noSolution = $0 { return true }; return false
        }
    }
}
