import Foundation
import TandemCore

/// IAL — Impartial Auxiliary Learning (Li, Feng, Wang, Yang & Zuo, 2024, arXiv 2412.19547), §12.
///
/// Decoder stage: every task t has s_t = log σ_t²; heads and σ minimise Σ_t ½e^{−s_t}L_t + ½s_t
/// (uncertainty weighting, so all heads train impartially). Encoder stage at z:
///     ∇_z = h_pri + Σ_{t∈aux} f(σ_t)·(‖h_pri‖/‖h_t‖)·h_t,   f(x) = min(1, g(1 − x)),
/// σ_t detached, h_pri the sum of the primary tasks' gradients (weight 1). The paper names g only
/// by its range; choices: `linear` g(y) = max(0, y) (default), `scaled` max(0, κy), `exponential`
/// max(0, e^y − 1). σ means the standard deviation e^{s/2} (default), the variance e^s, or s itself.
/// Ablations: `uncertainty-only` (plain uncertainty weighting) and `norm-only` (equal-weight
/// decoder, aux gradients aligned to the primary's norm with a fixed weight, 0.1 by default).
public final class ImpartialAuxiliaryLearning: GradientCombiner, DecoderStage, EncoderStage, RegisteredStrategy {
    public enum Shape: String, CaseIterable, Sendable { case linear, scaled, exponential }
    public enum SigmaMeaning: String, CaseIterable, Sendable { case deviation, variance, logVariance = "log-variance" }
    public enum Mode: String, CaseIterable, Sendable { case both, uncertaintyOnly = "uncertainty-only", normOnly = "norm-only" }

    public static let description = StrategyDescription(
        name: "ial", title: "Impartial auxiliary learning",
        formula: "heads: Σ_t ½e^{−s_t}L_t + ½s_t; at z: ∇_z = h_pri + Σ_aux f(σ_t)·(‖h_pri‖/‖h_t‖)·h_t, f(σ) = min(1, g(1 − σ))",
        paper: "Li, Feng, Wang, Yang & Zuo, \"Unprejudiced Training Auxiliary Tasks Makes Primary Better\", arXiv 2412.19547 (2024)",
        options: [
            OptionSpec("g", .choice(Shape.allCases.map(\.rawValue)), default: .text("linear"),
                       "g: linear max(0, y), scaled max(0, κy), exponential max(0, e^y − 1)"),
            OptionSpec("kappa", .number(0...100), default: .number(2), "κ of the scaled g"),
            OptionSpec("sigma", .choice(SigmaMeaning.allCases.map(\.rawValue)), default: .text("deviation"),
                       "what σ in f(σ) is: the standard deviation e^{s/2}, the variance e^s, or s"),
            OptionSpec("mode", .choice(Mode.allCases.map(\.rawValue)), default: .text("both"),
                       "both (IAL); ablations uncertainty-only and norm-only (fixed auxiliary weight)"),
            OptionSpec("auxiliary_weight", .number(0...1), default: .number(0.1), "the fixed auxiliary weight of norm-only"),
            OptionSpec("initial", .number(-10...10), default: .number(-0.5), "initial log-variance s₀"),
        ],
        cost: "T head backwards and one encoder backward (as MGDA-UB)",
        conventions: ["g is named by the paper only by its range; linear is our default",
                      "σ is the standard deviation e^{s/2}; the primary term has weight 1 (several primaries are summed)",
                      "a batch with only auxiliary labels gives the encoder no gradient (nothing to align to)"],
        behaviour: StrategyBehaviour(scaling: .unspecified, roles: .onePrimary))

    public let shape: Shape
    public let kappa: Float
    public let sigmaMeaning: SigmaMeaning
    public let mode: Mode
    public let fixedAuxiliaryWeight: Float
    public let roles: [String: TaskRole]
    public var ownParameters: Parameters
    public var decoder: any DecoderStage { self }
    public var encoder: any EncoderStage { self }
    public var requirements: CombinerRequirements { mode == .uncertaintyOnly ? .losses : .representationGradients }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        self.init(tasks: context.tasks, shape: Shape(rawValue: options.text("g")!)!, kappa: options.float("kappa")!,
                  sigmaMeaning: SigmaMeaning(rawValue: options.text("sigma")!)!, mode: Mode(rawValue: options.text("mode")!)!,
                  fixedAuxiliaryWeight: options.float("auxiliary_weight")!, initialLogVariance: options.float("initial")!)
    }

    public init(tasks: [TaskSpec], shape: Shape = .linear, kappa: Float = 2, sigmaMeaning: SigmaMeaning = .deviation,
                mode: Mode = .both, fixedAuxiliaryWeight: Float = 0.1, initialLogVariance: Float = -0.5) {
        self.shape = shape
        self.kappa = kappa
        self.sigmaMeaning = sigmaMeaning
        self.mode = mode
        self.fixedAuxiliaryWeight = fixedAuxiliaryWeight
        roles = Dictionary(uniqueKeysWithValues: tasks.map { ($0.name, $0.role) })
        ownParameters = mode == .normOnly ? Parameters()
            : Parameters(tasks.map { ("logVariance.\($0.name)", Tensor(shape: [1], scalars: [initialLogVariance])) })
    }

    var gate: ImpartialAuxiliaryGradient.Gate {
        switch shape {
        case .linear: return .rectified
        case .scaled: return .scaledRectified(slope: Double(kappa))
        case .exponential: return .exponential
        }
    }

    /// f(σ) = min(1, g(1 − σ)).
    public func weight(sigma: Float) -> Float { Float(gate.weight(uncertainty: Double(sigma))) }

    public func sigma(logVariance s: Float) -> Float {
        switch sigmaMeaning {
        case .deviation: return Foundation.exp(s / 2)
        case .variance: return Foundation.exp(s)
        case .logVariance: return s
        }
    }

    public func decoderLoss(_ losses: [String: Tensor], ownParameters: Parameters, context: StepContext) throws -> Tensor {
        if mode == .normOnly { return context.taskNames.map { losses[$0]! }.reduce(Tensor(0), +) }
        for name in context.taskNames {   // each task's uncertainty over training (the paper's Fig. 13)
            context.report("sigma.\(name)", Double(sigma(logVariance: ownParameters["logVariance.\(name)"].scalar)))
        }
        return context.taskNames.map { name in
            let s = ownParameters["logVariance.\(name)"].reshaped([])
            return losses[name]! * exp(-s) * 0.5 + s * 0.5
        }.reduce(Tensor(0), +)
    }

    public func encoderGradient(_ context: StepContext) throws -> EncoderGradient {
        if mode == .uncertaintyOnly { return .lossWeights(context.decoderWeights) }
        let names = context.taskNames
        let h = try context.representationGradients()
        let shape = h[names[0]]!.shape
        let primaries = names.filter { roles[$0] != .auxiliary }
        let auxiliaries = names.filter { roles[$0] == .auxiliary }
        let primary = primaries.map { h[$0]! }.reduce(Tensor.zeros(shape), +).scalars
        let auxiliary = auxiliaries.map { h[$0]!.scalars }
        let combined: [Float]
        if mode == .normOnly {
            // A fixed weight w: σ chosen with f(σ) = w under the linear gate, i.e. σ = 1 − w.
            combined = try ImpartialAuxiliaryGradient.combine(primary: primary, auxiliaries: auxiliary,
                                                              uncertainties: auxiliaries.map { _ in Double(1 - fixedAuxiliaryWeight) }).combined
        } else {
            let sigmas = auxiliaries.map { Double(sigma(logVariance: ownParameters["logVariance.\($0)"].scalar)) }
            let result = try ImpartialAuxiliaryGradient.combine(primary: primary, auxiliaries: auxiliary, uncertainties: sigmas, gate: gate)
            for (name, w) in zip(auxiliaries, result.gateWeights) { context.report("auxiliaryWeight.\(name)", w) }
            combined = result.combined
        }
        return .representation(Tensor(shape: shape, scalars: combined))
    }
}
