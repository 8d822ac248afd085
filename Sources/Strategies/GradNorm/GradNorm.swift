import Foundation
import TandemCore

/// GradNorm (Chen, Badrinarayanan, Lee & Rabinovich, ICML 2018).
///
/// Learnable weights w_t (meta-parameters, init 1). Per step, with n_t = ‖∇_W L_t‖ at the chosen
/// shared weights W: G_t = w_t n_t, Ḡ = mean G, r_t = (L_t/L_t(0)) / mean_i(L_i/L_i(0)), target
/// C_t = Ḡ r_t^α (a constant); ∂/∂w_t Σ|G − C| = sign(G_t − C_t)·n_t steps w with the recipe's
/// strategy optimiser; optional clipping to [0.1, 10] (TAG), then renormalisation w ← T·w/Σw.
/// The network trains on Σ w_t L_t with the weights from *before* the update. L(0) is the loss at
/// the first step. W: the last shared layer (the paper; default), z, or all shared parameters.
public final class GradNorm: LossWeighting, RegisteredStrategy {
    public enum Layer: String, CaseIterable, Sendable { case lastShared = "last-shared", representation, allShared = "all-shared" }

    public static let description = StrategyDescription(
        name: "gradnorm", title: "GradNorm",
        formula: "learn w so that ‖∇_W w_t L_t‖ follows mean_t ‖∇_W w_t L_t‖ · r_t^α (r: relative inverse training rate); L = Σ w_t L_t",
        paper: "Chen, Badrinarayanan, Lee & Rabinovich, \"GradNorm: Gradient Normalization for Adaptive Loss Balancing\", ICML 2018",
        options: [
            OptionSpec("alpha", .number(0...10), default: .number(1.5), "asymmetry α (0: equal gradient norms)"),
            OptionSpec("layer", .choice(Layer.allCases.map(\.rawValue)), default: .text("last-shared"),
                       "where norms are taken: the last shared layer's weights (paper), z, or all shared parameters"),
            OptionSpec("clip", .boolean, default: .boolean(false), "clip weights to [0.1, 10] before renormalising (TAG reference)"),
        ],
        cost: "T backwards to the chosen layer W (the last shared layer: cheap) besides the step's own backward",
        conventions: ["w are meta-parameters stepped by the strategy optimiser group (LibMTL adds them to the network's optimiser)",
                      "L(0) is the first step's loss (paper, TAG); LibMTL uses epoch-0 means and EW during epoch 0",
                      "the last shared layer is the last shared `.weight` tensor"],
        behaviour: StrategyBehaviour(scaling: .unspecified))

    public let alpha: Float
    public let layer: Layer
    public let clip: Bool
    public var metaParameters: Parameters
    public private(set) var initialLosses: [String: Float] = [:]
    public var requirements: CombinerRequirements { layer == .representation ? .representationGradients : .sharedParameterGradients }

    public init(tasks: [TaskSpec], alpha: Float = 1.5, layer: Layer = .lastShared, clip: Bool = false) {
        self.alpha = alpha
        self.layer = layer
        self.clip = clip
        metaParameters = Parameters(tasks.map { ("weight.\($0.name)", Tensor(shape: [1], scalars: [1])) })
    }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        self.init(tasks: context.tasks, alpha: options.float("alpha")!, layer: Layer(rawValue: options.text("layer")!)!,
                  clip: options.boolean("clip")!)
    }

    /// The current weight of `task`.
    public func weight(_ task: String) -> Float { metaParameters["weight.\(task)"].scalar }

    func gradientNorms(_ context: StepContext) throws -> [Double] {
        let names = context.taskNames
        switch layer {
        case .representation:
            let h = try context.representationGradients()
            return names.map { Double(h[$0]!.norm().scalar) }
        case .allShared:
            let g = try context.sharedParameterGradients()
            return names.map { Double(g[$0]!.norm().scalar) }
        case .lastShared:
            let last = context.parameters.shared.names.last { $0.hasSuffix(".weight") } ?? context.parameters.shared.names.last!
            let g = try context.sharedParameterGradients(restrictedTo: [last])
            return names.map { Double(g[$0]![last].norm().scalar) }
        }
    }

    /// The weights before this step's update; the update itself steps the meta-parameters.
    public func lossWeights(_ context: StepContext) throws -> [String: Float] {
        let names = context.taskNames
        let before = names.map { Double(weight($0)) }
        for name in names where initialLosses[name] == nil { initialLosses[name] = context.losses[name]! }
        let evaluation = try GradNormWeightUpdate.evaluate(weights: before, gradientNorms: try gradientNorms(context),
                                                           initialLosses: names.map { Double(initialLosses[$0]!) },
                                                           losses: names.map { Double(context.losses[$0]!) }, asymmetry: Double(alpha))
        let gradient = Parameters(zip(names, evaluation.weightGradient).map { ("weight.\($0)", Tensor(shape: [1], scalars: [Float($1)])) })
        let stepped = try context.stepMetaParameters(metaParameters, gradients: gradient)
        let renormalised = try GradNormWeightUpdate.renormalized(weights: names.map { Double(stepped["weight.\($0)"].scalar) },
                                                                 clipRange: clip ? GradNormWeightUpdate.tagClipRange : nil)
        for (name, value) in zip(names, renormalised) { metaParameters["weight.\(name)"] = Tensor(shape: [1], scalars: [Float(value)]) }
        context.report("gradNormLoss", evaluation.gradNormLoss)
        for (name, value) in zip(names, before) { context.report("weight.\(name)", value) }
        return Dictionary(uniqueKeysWithValues: zip(names, before.map(Float.init)))
    }

    public func saveState() -> StrategyState {
        StrategyState(numbers: Dictionary(uniqueKeysWithValues: initialLosses.map { ("initialLoss.\($0.key)", [Double($0.value)]) }))
    }

    public func restoreState(_ state: StrategyState) throws {
        initialLosses = [:]
        for (key, values) in state.numbers where key.hasPrefix("initialLoss.") {
            initialLosses[String(key.dropFirst("initialLoss.".count))] = Float(values[0])
        }
    }
}
