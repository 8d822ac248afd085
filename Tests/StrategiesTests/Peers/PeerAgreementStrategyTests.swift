import XCTest
import TandemCore
import TandemStrategies

/// The registered strategies themselves — the real training step on the linear surrogate, where
/// the shared gradient is the combined direction — against the peers' directions, with the
/// peer's convention selected by the strategy's options. Methods that draw random orders or
/// thresholds (PCGrad, GradVac, GradDrop, RLW) and FAMO's Adam sequence are compared at the maths
/// level with the peer's recorded randomness (`PeerAgreementMathTests`).
final class PeerAgreementStrategyTests: XCTestCase {
    func direction(_ strategy: any GradientCombiner, _ c: PeerVectors.Case) throws -> [Double] {
        let names = (0..<c.tasks).map { "t\($0)" }
        return try GradientCombinationProblem(gradients: c.rows, losses: c.losses.map(Float.init), taskNames: names)
            .combine(with: strategy).direction.map(Double.init)
    }

    func tasks(_ c: PeerVectors.Case) -> [TaskSpec] {
        (0..<c.tasks).map { TaskSpec(name: "t\($0)", kind: .regression(outputs: 1), role: .primary) }
    }

    func testGramianWeightings() throws {
        // Float directions: 1e-3 is the bar; the solvers agree far better (see the maths tests).
        try assertAgreesWithPeer("torchjd", "upgrad") { c, _ in try self.direction(UPGrad(numerics: .peer), c) }
        try assertAgreesWithPeer("torchjd", "upgrad-noreg") { c, _ in try self.direction(UPGrad(numerics: .init(normEpsilon: 1e-4, regularisationEpsilon: 0)), c) }
        try assertAgreesWithPeer("torchjd", "dualproj") { c, _ in try self.direction(DualProj(numerics: .peer), c) }
        try assertAgreesWithPeer("torchjd", "imtlg") { c, _ in try self.direction(IMTLG(), c) }
        try assertAgreesWithPeer("libmtl", "imtl") { c, _ in try self.direction(IMTL(tasks: self.tasks(c)), c) }
        try assertAgreesWithPeer("libmtl", "imtl-scaled") { c, r in
            let strategy = IMTL(tasks: self.tasks(c))
            for (t, s) in r.lossScale!.enumerated() { strategy.ownParameters["logScale.t\(t)"] = Tensor(shape: [1], scalars: [Float(s)]) }
            return try self.direction(strategy, c)
        }
        try assertAgreesWithPeer("torchjd", "imtll") { c, r in
            let strategy = IMTLL(tasks: self.tasks(c))
            for (t, s) in r.lossScale!.enumerated() { strategy.ownParameters["logScale.t\(t)"] = Tensor(shape: [1], scalars: [Float(s)]) }
            return try self.direction(strategy, c)
        }
        try assertAgreesWithPeer("torchjd", "alignedmtl") { c, _ in try self.direction(AlignedMTL(preference: .mean), c) }
        try assertAgreesWithPeer("torchjd", "cagrad") { c, _ in try self.direction(CAGrad(rescale: .none), c) }
        try assertAgreesWithPeer("libmtl", "cagrad-rescale1") { c, _ in try self.direction(CAGrad(), c) }
        try assertAgreesWithPeer("libmtl", "cagrad-rescale0") { c, _ in try self.direction(CAGrad(rescale: .none), c) }
        for (alpha, suffix) in [(0.5, "0.5"), (1.0, "1"), (2.0, "2")] {
            try assertAgreesWithPeer("torchjd", "fairgrad-alpha\(suffix)") { c, _ in try self.direction(FairGrad(alpha: alpha, maximumNorm: 0), c) }
        }
    }

    /// Nash-MTL where the peer converged (see `PeerAgreementMathTests.testNashMTL` for the rest);
    /// max_norm 0 and the peers' default 1.
    func testNashMTL() throws {
        let vectors = try PeerVectors.load("torchjd", "nashmtl-maxnorm0")
        let notConverged = Set(vectors.results.filter { $0.bargainingResidual! > 1e-4 }.map(\.case))
        try assertAgreesWithPeer("torchjd", "nashmtl-maxnorm0", skip: { c, _ in notConverged.contains(c.name) }) { c, _ in
            try self.direction(NashMTL(maximumNorm: 0), c)
        }
        try assertAgreesWithPeer("torchjd", "nashmtl-maxnorm1", skip: { c, _ in notConverged.contains(c.name) }) { c, _ in
            try self.direction(NashMTL(), c)
        }
    }

    /// MGDA on the shared parameters without normalisation, where LibMTL's solver reached the
    /// optimum (T = 2 with the reference's clip option); the l2/loss/loss+ conventions differ (LibMTL
    /// applies α to the normalised gradients, the strategy to the raw losses as the MGDA reference)
    /// and are compared in the maths tests.
    func testMGDA() throws {
        let offOptimum: Set<String> = ["dominant-T4-P100", "illconditioned-T4-P100", "illconditioned-T5-P7"]
        try assertAgreesWithPeer("libmtl", "mgda-none", skip: { c, _ in offOptimum.contains(c.name) }) { c, _ in
            try self.direction(MGDA(level: .parameters, referenceClip: c.tasks == 2), c)
        }
    }

    func testLossScalarisations() throws {
        try assertAgreesWithPeer("libmtl", "gls") { c, _ in try self.direction(ScaleInvariant(variant: .geometricMeanProduct), c) }
        try assertAgreesWithPeer("torchjd", "geometricmean") { c, _ in try self.direction(ScaleInvariant(variant: .geometricMean), c) }
        try assertAgreesWithPeer("torchjd", "stch-mu1") { c, _ in try self.direction(SmoothTchebycheff(tasks: self.tasks(c), form: .general), c) }
        try assertAgreesWithPeer("torchjd", "stch-mu0.1") { c, _ in
            try self.direction(SmoothTchebycheff(tasks: self.tasks(c), form: .general, smoothing: 0.1), c)
        }
    }
}
