import Foundation

/// How the learning rate changes with the step (0-based).
public enum LearningRateSchedule: Equatable, Sendable {
    /// The base rate throughout.
    case constant
    /// Multiply by `factor` at each milestone step (e.g. halve every 30 epochs' worth of steps).
    case stepwise(milestones: [Int], factor: Float)
    /// Halve once at `totalSteps / 2` (the TMT paper's schedule).
    case halfAtMidpoint(totalSteps: Int)
    /// Cosine annealing from the base rate to `minimum` over `totalSteps`.
    case cosine(totalSteps: Int, minimum: Float)

    public func rate(base: Float, step: Int) -> Float {
        switch self {
        case .constant:
            return base
        case let .stepwise(milestones, factor):
            return base * Float(Foundation.pow(Double(factor), Double(milestones.filter { step >= $0 }.count)))
        case let .halfAtMidpoint(totalSteps):
            return step >= totalSteps / 2 ? base / 2 : base
        case let .cosine(totalSteps, minimum):
            let progress = Double(min(step, totalSteps)) / Double(max(totalSteps, 1))
            return minimum + (base - minimum) * Float(0.5 * (1 + Foundation.cos(Double.pi * progress)))
        }
    }
}
