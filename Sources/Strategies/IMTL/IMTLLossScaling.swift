import Foundation

/// IMTL-L, the loss half of Impartial Multi-Task Learning (Liu et al., ICLR 2021),
/// STRATEGIES.md §13b: a learnable scale s_t per task (init 0), scaled loss `e^{s}L − s`,
/// minimised by the network and s. `∂/∂s = e^{s}L − 1`, stationary at `e^{s} = 1/L` (scaled
/// loss ≡ 1); the network sees the loss weight `e^{s}`.
public enum IMTLLossScaling {
    /// `e^{s}L − s` per task.
    public static func scaledLosses(losses: [Double], scales: [Double]) throws -> [Double] {
        try check(losses, scales, "IMTLLossScaling.scaledLosses")
        return zip(losses, scales).map { exp($1) * $0 - $1 }
    }

    /// The network's loss weights `e^{s_t}`.
    public static func weights(scales: [Double]) -> [Double] { scales.map { exp($0) } }

    /// `∂(e^{s}L − s)/∂s = e^{s}L − 1` per task.
    public static func scaleGradients(losses: [Double], scales: [Double]) throws -> [Double] {
        try check(losses, scales, "IMTLLossScaling.scaleGradients")
        return zip(losses, scales).map { exp($1) * $0 - 1 }
    }

    /// The stationary scales `s* = −log L` (requires L > 0).
    public static func stationaryScales(losses: [Double]) throws -> [Double] {
        guard losses.allSatisfy({ $0 > 0 }) else {
            throw StrategyMathError.invalidArgument(function: "IMTLLossScaling.stationaryScales", reason: "losses must be positive")
        }
        return losses.map { -log($0) }
    }

    private static func check(_ losses: [Double], _ scales: [Double], _ function: String) throws {
        try MathValidation.taskCount(losses.count, function: function)
        try MathValidation.length(scales, losses.count, argument: "scales", function: function)
    }
}
