import Foundation
import TandemCore

/// MGDA-UB (Sener & Koltun, NeurIPS 2018), STRATEGIES.md §6: α = argmin_{α∈Δ} ‖Σ_t α_t v_t/n_t‖²
/// with v_t the task gradients at the representation z (MGDA-UB: one encoder backward, the
/// default) or at the shared parameters (MGDA), and normaliser n_t = 1 (`none`, LibMTL's default,
/// ours), ‖v_t‖ (`l2`), L_t (`loss`) or L_t‖v_t‖ (`loss+`, the MGDA reference config). α weights the
/// raw losses: L = Σ_t α_t L_t for heads and encoder (one backward, as the reference code).
/// Inner products at z are over the full tensor (`full`) or after summing over the batch
/// (`batchSummed`, LibMTL's rep-grad convention).
public final class MGDA: GradientCombiner, DecoderStage, EncoderStage {
    public enum Level: String, CaseIterable, Sendable { case representation, parameters }
    public enum InnerProduct: String, CaseIterable, Sendable { case full, batchSummed = "batch-summed" }

    public let name: String
    public let level: Level
    public let normalisation: GradientNormalization
    public let innerProduct: InnerProduct
    public let initialisation: MinimumNormSolver.Initialisation
    public var ownParameters = Parameters()
    public var decoder: any DecoderStage { self }
    public var encoder: any EncoderStage { self }
    public var requirements: CombinerRequirements { level == .representation ? .representationGradients : .sharedParameterGradients }
    private var cachedWeights: (context: Int, weights: [String: Float])?

    public init(level: Level = .representation, normalisation: GradientNormalization = .none, innerProduct: InnerProduct = .full,
                initialisation: MinimumNormSolver.Initialisation = .uniform, name: String = "mgda-ub") {
        self.level = level
        self.normalisation = normalisation
        self.innerProduct = innerProduct
        self.initialisation = initialisation
        self.name = name
    }

    /// α from per-task gradient rows and losses (a zero gradient's normaliser falls back to 1).
    public static func weights(rows: [[Float]], losses: [Float], normalisation: GradientNormalization,
                               initialisation: MinimumNormSolver.Initialisation = .uniform) throws -> [Double] {
        let matrix = try TaskGradientMatrix(rows: rows)
        let gram = matrix.gram()
        let norms = matrix.rowNorms()
        let normalisers = try normalisation.normalizers(rowNorms: norms.map { $0 > 0 ? $0 : 1 }, losses: losses.map(Double.init))
        let normalised = try GradientNormalization.normalize(gram: gram, by: normalisers)
        return try MinimumNormSolver.frankWolfe(gram: normalised, initialisation: initialisation).weights
    }

    /// Rows for the inner products: full tensors, or summed over the batch axis.
    func rows(_ gradients: [Tensor]) -> [[Float]] {
        switch innerProduct {
        case .full: return gradients.map(\.scalars)
        case .batchSummed: return gradients.map { $0.sum(axes: [0]).scalars }
        }
    }

    func weights(_ context: StepContext) throws -> [String: Float] {
        if let cached = cachedWeights, cached.context == context.identifier { return cached.weights }
        let names = context.taskNames
        let gradientRows: [[Float]]
        switch level {
        case .representation:
            let h = context.representationGradients()
            gradientRows = rows(names.map { h[$0]! })
        case .parameters:
            let g = context.sharedParameterGradients()
            gradientRows = names.map { g[$0]!.flattened().scalars }
        }
        let alpha = try MGDA.weights(rows: gradientRows, losses: names.map { context.losses[$0]! }, normalisation: normalisation,
                                 initialisation: initialisation)
        let result = Dictionary(uniqueKeysWithValues: zip(names, alpha.map(Float.init)))
        for (name, value) in result { context.report("alpha.\(name)", Double(value)) }
        cachedWeights = (context.identifier, result)
        return result
    }

    public func decoderLoss(_ losses: [String: Tensor], ownParameters: Parameters, context: StepContext) -> Tensor {
        // The decoder loss cannot throw; a malformed problem surfaces from the encoder stage.
        let alpha = (try? weights(context)) ?? Dictionary(uniqueKeysWithValues: context.taskNames.map { ($0, 1 / Float(context.taskNames.count)) })
        return context.taskNames.map { losses[$0]! * alpha[$0]! }.reduce(Tensor(0), +)
    }

    public func encoderGradient(_ context: StepContext) throws -> EncoderGradient {
        .lossWeights(try weights(context))
    }
}
