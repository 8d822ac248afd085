import Foundation
import TandemCore

/// GradNorm (Chen, Badrinarayanan, Lee & Rabinovich, ICML 2018), STRATEGIES.md §4.
///
/// Learnable weights w_t (init 1). Per step, with n_t = ‖∇_W L_t‖ at the chosen shared weights W:
/// G_t = w_t n_t, Ḡ = mean G, r_t = (L_t/L_t(0)) / mean_i(L_i/L_i(0)), target C_t = Ḡ r_t^α (constant);
/// ∂/∂w_t Σ|G − C| = sign(G_t − C_t)·n_t; an SGD step on w at the strategy learning rate, optional
/// clipping to [0.1, 10] (TAG), then renormalisation w ← T·w/Σw. The network trains on Σ w_t L_t
/// with the weights from *before* the update. L(0) is the loss at the first step.
/// W: the last shared layer (the paper; default), the representation z, or all shared parameters.
public final class GradNorm: GradientCombiner, DecoderStage, EncoderStage {
    public enum Layer: String, CaseIterable, Sendable { case lastShared = "last-shared", representation, allShared = "all-shared" }

    public let name = "gradnorm"
    public let alpha: Float
    public let layer: Layer
    public let clip: Bool
    public var ownParameters = Parameters()
    public var decoder: any DecoderStage { self }
    public var encoder: any EncoderStage { self }
    public var requirements: CombinerRequirements { layer == .representation ? .representationGradients : .sharedParameterGradients }
    public private(set) var weights: [String: Float] = [:]
    public private(set) var initialLosses: [String: Float] = [:]
    private var stepWeights: (context: Int, weights: [String: Float])?

    public init(alpha: Float = 1.5, layer: Layer = .lastShared, clip: Bool = false) {
        self.alpha = alpha
        self.layer = layer
        self.clip = clip
    }

    /// One GradNorm update of `weights` (STRATEGIES.md §4): the L1 gradient, an SGD step, optional
    /// clipping to [0.1, 10], renormalisation to Σw = T.
    public static func updatedWeights(weights: [Float], norms: [Float], losses: [Float], initialLosses: [Float],
                                      alpha: Float, learningRate: Float, clip: Bool = false) throws -> [Float] {
        let evaluation = try GradNormWeightUpdate.evaluate(weights: weights.map(Double.init), gradientNorms: norms.map(Double.init),
                                                           initialLosses: initialLosses.map(Double.init), losses: losses.map(Double.init),
                                                           asymmetry: Double(alpha))
        return try GradNormWeightUpdate.sgdStep(weights: weights.map(Double.init), gradient: evaluation.weightGradient,
                                                learningRate: Double(learningRate), clipRange: clip ? 0.1...10 : nil).map(Float.init)
    }

    func currentWeights(_ context: StepContext) throws -> [String: Float] {
        if let cached = stepWeights, cached.context == context.identifier { return cached.weights }
        let names = context.taskNames
        let before = Dictionary(uniqueKeysWithValues: names.map { ($0, weights[$0] ?? 1) })
        for name in names where initialLosses[name] == nil { initialLosses[name] = context.losses[name]! }
        let norms: [Float]
        switch layer {
        case .representation:
            let h = context.representationGradients()
            norms = names.map { h[$0]!.norm().scalar }
        case .allShared:
            let g = context.sharedParameterGradients()
            norms = names.map { name in g[name]!.norm().scalar }
        case .lastShared:
            let last = context.parameters.shared.names.last { $0.hasSuffix(".weight") } ?? context.parameters.shared.names.last!
            let g = context.sharedParameterGradients(restrictedTo: [last])
            norms = names.map { g[$0]![last].norm().scalar }
        }
        let updated = try GradNorm.updatedWeights(weights: names.map { before[$0]! }, norms: norms, losses: names.map { context.losses[$0]! },
                                              initialLosses: names.map { initialLosses[$0]! }, alpha: alpha,
                                              learningRate: context.learningRates["strategy"] ?? 0.025, clip: clip)
        for (name, value) in zip(names, updated) {
            weights[name] = value
            context.report("weight.\(name)", Double(before[name]!))
        }
        stepWeights = (context.identifier, before)
        return before
    }

    public func decoderLoss(_ losses: [String: Tensor], ownParameters: Parameters, context: StepContext) -> Tensor {
        // The decoder loss cannot throw; a malformed problem surfaces from the encoder stage.
        let w = (try? currentWeights(context)) ?? Dictionary(uniqueKeysWithValues: context.taskNames.map { ($0, weights[$0] ?? 1) })
        return context.taskNames.map { losses[$0]! * w[$0]! }.reduce(Tensor(0), +)
    }

    public func encoderGradient(_ context: StepContext) throws -> EncoderGradient { .lossWeights(try currentWeights(context)) }

    public func saveState() -> StrategyState {
        var numbers: [String: [Double]] = [:]
        for (name, w) in weights { numbers["weight.\(name)"] = [Double(w)] }
        for (name, l) in initialLosses { numbers["initialLoss.\(name)"] = [Double(l)] }
        return StrategyState(numbers: numbers)
    }

    public func restoreState(_ state: StrategyState) throws {
        weights = [:]
        initialLosses = [:]
        stepWeights = nil
        for (key, values) in state.numbers {
            if key.hasPrefix("weight.") { weights[String(key.dropFirst(7))] = Float(values[0]) }
            if key.hasPrefix("initialLoss.") { initialLosses[String(key.dropFirst(12))] = Float(values[0]) }
        }
    }
}
