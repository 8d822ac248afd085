import Foundation
import TandemCore

/// Auto-λ (Liu, James, Davison & Johns, "Auto-Lambda: Disentangling Dynamic Task Relationships",
/// TMLR 2022).
///
/// Unconstrained task weights λ (meta-parameters, init 0.1) minimise the primary tasks' loss on
/// a second training batch after one virtual step of the real optimiser:
///     min_λ Σ_{t∈P} L_t^val(θ'),   θ' = step_optimiser(θ, ∇_θ Σ_t λ_t L_t^train(θ)),
/// over all network parameters (shared and the step's heads). With v = ∇_{θ'} L^val(θ') and α the
/// network's learning rate, ∇_{λ_t} = −α ∇_θ L_t^train(θ)·v: exact (T per-task backwards) or by the
/// reference's central difference with ε = 0.01/‖v‖ (forward passes only). λ steps with the
/// strategy optimiser (the reference: Adam 1e-4) *before* the normal step, which then trains on
/// Σ_t λ_t L_t — or hands λ_t L_t to a gradient method for the encoder (`encoder: pcgrad`).
/// The *impartial* variant trains the heads with IAL's uncertainty decoder instead.
public final class AutoLambda: GradientCombiner, DecoderStage, EncoderStage, RegisteredStrategy {
    public enum Mode: String, CaseIterable, Sendable { case multiTask = "multi-task", auxiliary }
    public enum Hypergradient: String, CaseIterable, Sendable { case finiteDifference = "finite-difference", exact }
    public enum Heads: String, CaseIterable, Sendable { case lambda, uncertainty }

    public static let description = StrategyDescription(
        name: "auto-lambda", title: "Auto-λ (meta-learned task weights)",
        formula: "λ ← λ − β∇_λ Σ_{t∈P} L_t^val(θ − α∇_θ Σ_t λ_t L_t^train(θ)); L = Σ_t λ_t L_t",
        paper: "Liu, James, Davison & Johns, \"Auto-Lambda: Disentangling Dynamic Task Relationships\", TMLR 2022",
        options: [
            OptionSpec("mode", .choice(Mode.allCases.map(\.rawValue)), default: .text("multi-task"),
                       "multi-task: every task is in the meta objective (--task all); auxiliary: only the recipe's primary tasks"),
            OptionSpec("hypergradient", .choice(Hypergradient.allCases.map(\.rawValue)), default: .text("finite-difference"),
                       "finite-difference: the reference's central difference (ε = 0.01/‖v‖); exact: ∇_θ L_t·v by T backwards"),
            OptionSpec("initial", .number(-100...100), default: .number(0.1), "λ₀ of every task"),
            OptionSpec("encoder", .text, default: nil, "a gradient strategy for the encoder applied to λ_t L_t (e.g. pcgrad); default: Σ λ_t L_t"),
            OptionSpec("heads", .choice(Heads.allCases.map(\.rawValue)), default: .text("lambda"),
                       "lambda: heads train on Σ λ_t L_t; uncertainty: the impartial variant, heads by IAL's uncertainty decoder"),
            OptionSpec("initial_log_variance", .number(-10...10), default: .number(-0.5), "s₀ of the uncertainty heads (impartial variant)"),
        ],
        cost: "≈ 3× EW: a forward and backward for the virtual step, one at θ' on the second batch, and two forwards (finite difference) or T backwards (exact)",
        conventions: ["the virtual step is the real optimiser's step (momentum, weight decay, Adam) read from its state, never written",
                      "the \"validation\" batch is a second, independently drawn training batch (the reference)",
                      "λ is updated before the normal step of the same iteration (the reference's order)",
                      "the dependence of the momentum and weight-decay terms on λ is ignored (the reference)",
                      "steps without a primary task in the meta objective (auxiliary mode, auxiliary-only batches) keep λ"],
        behaviour: StrategyBehaviour(scaling: .unspecified),
        defaultStrategyOptimizer: OptimizerDefault(.adam, learningRate: 1e-4))

    public let mode: Mode
    public let hypergradient: Hypergradient
    public let heads: Heads
    public var metaParameters: Parameters
    public var ownParameters: Parameters
    let inner: (any GradientCombiner)?
    private let cache = WeightCache()

    public var decoder: any DecoderStage { self }
    public var encoder: any EncoderStage { inner?.encoder ?? self }
    public var requirements: CombinerRequirements { [.extraForwardPasses, .secondBatch] }

    public init(tasks: [TaskSpec], mode: Mode = .multiTask, hypergradient: Hypergradient = .finiteDifference, initial: Float = 0.1,
                inner: (any GradientCombiner)? = nil, heads: Heads = .lambda, initialLogVariance: Float = -0.5) throws {
        if inner != nil && heads == .uncertainty {
            throw OptionError("auto-lambda: `encoder` and `heads: uncertainty` do not combine (the encoder method would see the uncertainty-weighted losses, not λ_t L_t)")
        }
        self.mode = mode
        self.hypergradient = hypergradient
        self.heads = heads
        self.inner = inner
        metaParameters = Parameters(tasks.map { ("lambda.\($0.name)", Tensor(shape: [1], scalars: [initial])) })
        ownParameters = heads == .uncertainty
            ? Parameters(tasks.map { ("logVariance.\($0.name)", Tensor(shape: [1], scalars: [initialLogVariance])) }) : Parameters()
    }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        var inner: (any GradientCombiner)? = nil
        if let name = options.text("encoder") {
            guard let build = context.buildStrategy else { throw OptionError("auto-lambda: cannot build the encoder strategy '\(name)' here") }
            inner = try build(name, [:])
        }
        try self.init(tasks: context.tasks, mode: Mode(rawValue: options.text("mode")!)!,
                      hypergradient: Hypergradient(rawValue: options.text("hypergradient")!)!, initial: options.float("initial")!,
                      inner: inner, heads: Heads(rawValue: options.text("heads")!)!,
                      initialLogVariance: options.float("initial_log_variance")!)
    }

    public func lambda(_ task: String) -> Float { metaParameters["lambda.\(task)"].scalar }

    /// λ after this step's meta update (computed once per step).
    public func lambdas(_ context: StepContext) throws -> [String: Float] {
        try cache.weights(for: context) {
            try metaStep(context)
            let result = Dictionary(uniqueKeysWithValues: context.taskNames.map { ($0, lambda($0)) })
            for (task, value) in result { context.report("lambda.\(task)", Double(value)) }
            return result
        }
    }

    /// The virtual step, the meta loss at θ' on the second batch, the hypergradient, and λ's step.
    func metaStep(_ context: StepContext) throws {
        let names = context.taskNames
        let validation = try context.secondBatch()
        let objective = (mode == .multiTask ? context.taskNames : context.primaryTasks).filter { validation.hasLabels(for: $0) }
        guard !objective.isEmpty else { return }
        let alpha = context.learningRates["shared"]!
        let trainable = context.parameters.filter { name in
            name.hasPrefix("shared.") || names.contains { name.hasPrefix("heads.\($0).") }
        }
        let tracked = trainable.tracked()
        let trainLosses = try context.losses(at: tracked)
        let weighted = names.map { trainLosses[$0]! * lambda($0) }.reduce(Tensor(0), +)
        let trainGradient = grad(of: weighted, wrt: tracked, retainGraph: hypergradient == .exact)
        let virtual = context.simulatedStep(gradients: trainGradient).tracked()
        let validationLosses = try context.losses(at: virtual, batch: validation)
        let metaLoss = objective.map { validationLosses[$0]! }.reduce(Tensor(0), +)
        let moved = grad(of: metaLoss, wrt: virtual)
        let v = Parameters(trainable.names.map { ($0, moved[$0]) })
        context.report("metaLoss", Double(metaLoss.scalar))
        let vNorm = Double(Tape.withoutRecording { v.norm().scalar })
        var directional = [String: Double]()
        if vNorm > 0 {
            switch hypergradient {
            case .exact:
                for name in names {
                    let g = grad(of: trainLosses[name]!, wrt: tracked, retainGraph: true)
                    directional[name] = Double(Tape.withoutRecording { Parameters.dot(g, v).scalar })
                }
            case .finiteDifference:
                let epsilon = Float(0.01 / vNorm)
                let (plus, minus) = Tape.withoutRecording { (trainable + v * epsilon, trainable - v * epsilon) }
                let lossesPlus = try Tape.withoutRecording { try context.losses(at: plus) }
                let lossesMinus = try Tape.withoutRecording { try context.losses(at: minus) }
                for name in names {
                    directional[name] = (Double(lossesPlus[name]!.scalar) - Double(lossesMinus[name]!.scalar)) / (2 * Double(epsilon))
                }
            }
        }
        let gradient = Parameters(names.map { name in
            ("lambda.\(name)", Tensor(shape: [1], scalars: [Float(-Double(alpha) * (directional[name] ?? 0))]))
        })
        for name in names { context.report("hypergradient.\(name)", Double(gradient["lambda.\(name)"].scalar)) }
        metaParameters = try context.stepMetaParameters(metaParameters, gradients: gradient)
    }

    public func decoderLoss(_ losses: [String: Tensor], ownParameters: Parameters, context: StepContext) throws -> Tensor {
        let lambdas = try lambdas(context)
        switch heads {
        case .lambda:
            return context.taskNames.map { losses[$0]! * lambdas[$0]! }.reduce(Tensor(0), +)
        case .uncertainty:
            return context.taskNames.map { name in
                let s = ownParameters["logVariance.\(name)"].reshaped([])
                return losses[name]! * exp(-s) * 0.5 + s * 0.5
            }.reduce(Tensor(0), +)
        }
    }

    public func encoderGradient(_ context: StepContext) throws -> EncoderGradient { .lossWeights(try lambdas(context)) }
}
