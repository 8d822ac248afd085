/// What a strategy needs the trainer to compute. The trainer computes only what the strategy asks
/// for through the `StepContext`, and the context refuses (with a `StrategyContractError`) a
/// quantity the strategy did not declare here, so a strategy's declared cost is its real cost.
public struct CombinerRequirements: OptionSet, Sendable, CustomStringConvertible {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Task losses only (weighting methods): one backward pass.
    public static let losses = CombinerRequirements([])
    /// Per-task gradients at the representation z (T head backwards + one encoder backward).
    public static let representationGradients = CombinerRequirements(rawValue: 1 << 0)
    /// Per-task gradients at the shared parameters (T encoder backwards).
    public static let sharedParameterGradients = CombinerRequirements(rawValue: 1 << 1)
    /// Mean task losses of each finished epoch.
    public static let epochLossHistory = CombinerRequirements(rawValue: 1 << 2)
    /// Extra forward passes at other parameters (lookaheads, virtual steps).
    public static let extraForwardPasses = CombinerRequirements(rawValue: 1 << 3)
    /// A second, independently drawn batch.
    public static let secondBatch = CombinerRequirements(rawValue: 1 << 4)
    /// Periodic meta steps on the parallel-labelled set.
    public static let parallelMetaSteps = CombinerRequirements(rawValue: 1 << 5)
    /// Gradients of gradients (a differentiable encoder vector-Jacobian product).
    public static let secondOrderGradients = CombinerRequirements(rawValue: 1 << 6)
    /// The task losses of the step's batch after the parameter update (one more forward pass).
    public static let lossesAfterUpdate = CombinerRequirements(rawValue: 1 << 7)

    static let names: [(CombinerRequirements, String)] = [
        (.representationGradients, "per-task gradients at z"), (.sharedParameterGradients, "per-task gradients at θ_s"),
        (.epochLossHistory, "epoch loss history"), (.extraForwardPasses, "extra forward passes"),
        (.secondBatch, "a second batch"), (.parallelMetaSteps, "meta steps on the parallel set"),
        (.secondOrderGradients, "second-order gradients"), (.lossesAfterUpdate, "losses after the update"),
    ]

    public var description: String {
        let present = CombinerRequirements.names.filter { contains($0.0) }.map(\.1)
        return present.isEmpty ? "losses only" : present.joined(separator: ", ")
    }
}
