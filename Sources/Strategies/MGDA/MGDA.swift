import Foundation
import TandemCore

/// MGDA-UB (Sener & Koltun, NeurIPS 2018): α = argmin_{α∈Δ} ‖Σ_t α_t v_t/n_t‖² with v_t the task
/// gradients at the representation z (MGDA-UB: one encoder backward, the default) or at the shared
/// parameters (MGDA), and normaliser n_t = 1 (`none`, LibMTL's default), ‖v_t‖ (`l2`), L_t
/// (`loss`) or L_t‖v_t‖ (`loss+`, the MGDA reference config). α weights the raw losses:
/// L = Σ_t α_t L_t for heads and encoder (`convention: reference`, the default). Inner products
/// at z are over the full tensor (`full`) or after summing over the batch (`batch-summed`,
/// LibMTL's rep-grad convention).
///
/// `convention: libmtl` reproduces LibMTL 1.1.5's `MGDA` instead: the heads get their plain
/// ∇L_t, and on the shared parameters the encoder gets d = Σ_t α_t g_t/n_t — α multiplies the
/// *normalised* gradients (the same as the reference for `none`). At z LibMTL applies α to the raw
/// h_t, as the reference does.
public final class MGDA: GramianWeighting, RegisteredStrategy {
    public enum InnerProduct: String, CaseIterable, Sendable { case full, batchSummed = "batch-summed" }

    /// Where α is applied (STRATEGIES.md §6).
    public enum Convention: String, CaseIterable, Sendable {
        /// α weights the raw losses, heads included (the MGDA reference).
        case reference
        /// Heads get their plain ∇L_t; on θ_s, α weights the normalised gradients g_t/n_t (LibMTL 1.1.5).
        case libmtl
    }

    public static let description = StrategyDescription(
        name: "mgda-ub", title: "MGDA-UB (multiple-gradient descent, upper bound)",
        formula: "α = argmin_{α∈Δ} ‖Σ_t α_t v_t/n_t‖², v_t = ∂L_t/∂z (or g_t); L = Σ_t α_t L_t",
        paper: "Sener & Koltun, \"Multi-Task Learning as Multi-Objective Optimization\", NeurIPS 2018",
        options: [
            OptionSpec("level", .choice(GradientLevel.allCases.map(\.rawValue)), default: .text("representation"),
                       "representation: MGDA-UB (one encoder backward); parameters: MGDA on the shared parameters"),
            OptionSpec("normalisation", .choice(GradientNormalization.allCases.map(\.rawValue)), default: .text("none"),
                       "gradient normaliser for the solver: none (LibMTL), l2, loss, loss+ (MGDA reference config)"),
            OptionSpec("inner_product", .choice(InnerProduct.allCases.map(\.rawValue)), default: .text("full"),
                       "at z: full-tensor inner products (MGDA reference) or batch-summed first (LibMTL)"),
            OptionSpec("solver", .choice(MinimumNormSolver.Method.allCases.map(\.rawValue)), default: .text("active-set"),
                       "min-norm solver: active-set (exact QP optimum) or frank-wolfe (paper's Algorithm 2; stalls on ill-conditioned inputs)"),
            OptionSpec("initialisation", .choice(MinimumNormSolver.Initialisation.allCases.map(\.rawValue)), default: .text("uniform"),
                       "Frank–Wolfe start: uniform (paper) or bestPair (reference code); unused by active-set"),
            OptionSpec("reference_clip", .boolean, default: .boolean(false),
                       "the MGDA reference's (and LibMTL's) 0.999/0.001 instead of 1/0 in the clipped two-task cases"),
            OptionSpec("convention", .choice(Convention.allCases.map(\.rawValue)), default: .text("reference"),
                       "reference: α weights the raw losses, heads included (MGDA reference); libmtl: heads get their plain ∇L_t and on θ_s α weights the normalised gradients g_t/n_t (LibMTL 1.1.5; the same as reference at z and for normalisation none)"),
        ],
        cost: "T head backwards and one encoder backward (representation level); T encoder backwards on θ_s",
        conventions: ["α is solved on the normalised gradients and applied to the raw losses (MGDA reference); convention: libmtl applies it to the normalised gradients on θ_s (LibMTL)",
                      "heads get α_t ∇L_t (a backward of Σ α_t L_t, as the reference); convention: libmtl gives them their plain ∇L_t"],
        behaviour: StrategyBehaviour(scaling: .unspecified))

    public let level: GradientLevel
    public let normalisation: GradientNormalization
    public let innerProduct: InnerProduct
    public let initialisation: MinimumNormSolver.Initialisation
    public let solver: MinimumNormSolver.Method
    public let referenceClip: Bool
    public let convention: Convention
    public var headWeighting: HeadWeighting { convention == .libmtl ? .unit : .combinationWeights }
    public let weightCache = WeightCache()

    public init(level: GradientLevel = .representation, normalisation: GradientNormalization = .none, innerProduct: InnerProduct = .full,
                initialisation: MinimumNormSolver.Initialisation = .uniform, solver: MinimumNormSolver.Method = .activeSet,
                referenceClip: Bool = false, convention: Convention = .reference) {
        self.solver = solver
        self.convention = convention
        self.referenceClip = referenceClip
        self.level = level
        self.normalisation = normalisation
        self.innerProduct = innerProduct
        self.initialisation = initialisation
    }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        self.init(level: GradientLevel(rawValue: options.text("level")!)!,
                  normalisation: GradientNormalization(rawValue: options.text("normalisation")!)!,
                  innerProduct: InnerProduct(rawValue: options.text("inner_product")!)!,
                  initialisation: MinimumNormSolver.Initialisation(rawValue: options.text("initialisation")!)!,
                  solver: MinimumNormSolver.Method(rawValue: options.text("solver")!)!,
                  referenceClip: options.boolean("reference_clip")!,
                  convention: Convention(rawValue: options.text("convention")!)!)
    }

    /// The task gradients, summed over the batch axis first for `batch-summed` inner products at z.
    public func taskGradients(_ context: StepContext) throws -> TaskGradients {
        guard level == .representation, innerProduct == .batchSummed else { return try level.gradients(context) }
        let h = try context.representationGradients()
        return TaskGradients(taskNames: context.taskNames, tensorNames: ["z"],
                             rows: context.taskNames.map { name in [Tape.withoutRecording { h[name]!.sum(axes: [0]) }] })
    }

    /// α from a Gram matrix and the losses (a zero gradient's normaliser falls back to 1); with
    /// `convention: libmtl` on θ_s, α_t/n_t (the weights of the raw g_t in LibMTL's direction).
    public func weights(gram: [[Double]], losses: [Double], context: StepContext) throws -> [Double] {
        let norms = gram.indices.map { gram[$0][$0].squareRoot() }
        let normalisers = try normalisation.normalizers(rowNorms: norms.map { $0 > 0 ? $0 : 1 }, losses: losses)
        let normalised = try GradientNormalization.normalize(gram: gram, by: normalisers)
        let solution = try MinimumNormSolver.solve(gram: normalised, method: solver, initialisation: initialisation,
                                                   referenceClip: referenceClip)
        context.report("mgda.converged", solution.converged ? 1 : 0)
        context.report("mgda.iterations", Double(solution.iterations))
        guard convention == .libmtl, level == .parameters else { return solution.weights }
        for (task, value) in zip(context.taskNames, solution.weights) { context.report("mgda.alpha.\(task)", value) }
        return zip(solution.weights, normalisers).map { $0 / $1 }
    }
}
