import TandemCore

/// How a head turns its prediction layer's output into the task's prediction.
public enum HeadOutput: String, Equatable, Sendable, CaseIterable {
    /// The prediction layer's output as it is: logits, depth, regression values.
    case raw
    /// Divided by its Euclidean norm over the channel axis (axis 1), so that every pixel's (or
    /// every sample's) prediction is a unit vector: surface normals. As in the MTAN code
    /// (`x / ‖x‖₂` over channels), with a tiny ε under the square root so that an all-zero output
    /// gives zeros instead of NaN: y = x / √(Σ_c x_c² + ε), ε = 10⁻¹².
    case unitNormalised

    /// ε under the square root of `unitNormalised`.
    public static let normalisationEpsilon: Float = 1e-12

    /// `prediction` (N×C or N×C×H×W) as this output kind makes it; differentiable.
    public func apply(_ prediction: Tensor) -> Tensor {
        switch self {
        case .raw:
            return prediction
        case .unitNormalised:
            let squaredLength = (prediction * prediction).sum(axes: [1], keepingDimensions: true)
            return prediction / sqrt(squaredLength + HeadOutput.normalisationEpsilon)
        }
    }
}
