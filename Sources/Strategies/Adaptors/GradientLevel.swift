import TandemCore

/// Where a gradient method reads the per-task gradients.
public enum GradientLevel: String, CaseIterable, Sendable {
    /// h_t = ∂L_t/∂z at the representation: T head backwards and one encoder backward.
    case representation
    /// g_t = ∇_{θ_s} L_t at the shared parameters: T encoder backwards.
    case parameters

    /// What the step context must compute.
    public var requirement: CombinerRequirements {
        self == .representation ? .representationGradients : .sharedParameterGradients
    }

    /// The per-task gradients at this level, rows scaled by `rowWeights` when given.
    func gradients(_ context: StepContext, rowWeights: [String: Float]? = nil) throws -> TaskGradients {
        switch self {
        case .representation:
            return TaskGradients(representation: try context.representationGradients(), tasks: context.taskNames, rowWeights: rowWeights)
        case .parameters:
            return TaskGradients(parameters: try context.sharedParameterGradients(), tasks: context.taskNames, rowWeights: rowWeights)
        }
    }

    /// The encoder's gradient from a combined direction at this level.
    func encoderGradient(_ direction: [Tensor], like gradients: TaskGradients) -> EncoderGradient {
        switch self {
        case .representation: return .representation(direction[0])
        case .parameters: return .sharedParameters(Parameters(zip(gradients.tensorNames, direction).map { ($0, $1) }))
        }
    }
}
