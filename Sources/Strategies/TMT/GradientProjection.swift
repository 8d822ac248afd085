import TandemCore

/// TMT's learned gradient transform φ = (λ, U), `f_φ(g) = M g` with `M = Λ + UUᵀ`
/// (Λ = diag(λ) ∈ R^{C×C}, U ∈ R^{C×r}), applied over the channels at every sample and spatial
/// position of a gradient at the bifurcation (B×C×H×W, or B×C). STRATEGIES.md §11.
///
/// The tensor forms here are differentiable in λ and U (the exact meta-gradient by autodiff) and
/// match `TaskMetaTransferGradient`, the reference implementation on arrays.
public struct GradientProjection {
    /// λ, shape [C].
    public var diagonal: Tensor
    /// U, shape [C, r] (r ≥ 0; r = 0 is M = Λ).
    public var lowRank: Tensor

    public init(diagonal: Tensor, lowRank: Tensor) {
        precondition(diagonal.rank == 1 && lowRank.rank == 2 && lowRank.shape[0] == diagonal.shape[0],
                     "a projection needs λ of shape [C] and U of shape [C, r], got \(diagonal.shape) and \(lowRank.shape)")
        self.diagonal = diagonal
        self.lowRank = lowRank
    }

    /// λ = 1 and U drawn from N(0, scale²) (the paper's initialisation; scale must be > 0).
    public init(channels: Int, rank: Int, initialScale: Float, generator: inout SeededGenerator) {
        diagonal = Tensor.ones([channels])
        lowRank = Tensor.randomNormal([channels, rank], standardDeviation: initialScale, generator: &generator)
    }

    public var channels: Int { diagonal.shape[0] }
    public var rank: Int { lowRank.shape[1] }

    /// `M g` per (sample, position); `gradient` has the channels on axis 1. Differentiable in
    /// the gradient, λ and U.
    public func apply(_ gradient: Tensor) -> Tensor {
        let (batch, spatial) = GradientProjection.layout(gradient, channels: channels)
        let planes = gradient.reshaped([batch, channels, spatial])
        let scaled = planes * diagonal.reshaped([1, channels, 1])
        guard rank > 0 else { return scaled.reshaped(gradient.shape) }
        let rows = GradientProjection.channelsLast(planes, batch: batch, spatial: spatial)   // [B·S, C]
        let projected = matmul(matmul(rows, lowRank), lowRank, transposeB: true)          // [B·S, C]
        let back = projected.reshaped([batch, spatial, channels]).permuted([0, 2, 1])
        return (scaled + back).reshaped(gradient.shape)
    }

    /// The exact meta-gradient from `u = J v` and the auxiliary gradient `g` it was taken for:
    /// `∂L/∂λ_c = −α Σ u_c g_c`, `∂L/∂U = −α (S + Sᵀ) U`, `S = Σ_{b,s} u gᵀ` (C×C).
    public func metaGradient(jacobianVectorProduct u: Tensor, auxiliaryGradient g: Tensor, innerStep alpha: Float) -> GradientProjection {
        precondition(u.shape == g.shape, "u = Jv has shape \(u.shape), the auxiliary gradient \(g.shape)")
        let (batch, spatial) = GradientProjection.layout(g, channels: channels)
        let uRows = GradientProjection.channelsLast(u.reshaped([batch, channels, spatial]), batch: batch, spatial: spatial)
        let gRows = GradientProjection.channelsLast(g.reshaped([batch, channels, spatial]), batch: batch, spatial: spatial)
        let s = matmul(uRows, gRows, transposeA: true)                                      // [C, C]
        let diagonalGradient = (uRows * gRows).sum(axes: [0]) * -alpha
        let symmetric = s + s.permuted([1, 0])
        let lowRankGradient = rank > 0 ? matmul(symmetric, lowRank) * -alpha : Tensor.zeros([channels, 0])
        return GradientProjection(diagonal: diagonalGradient, lowRank: lowRankGradient)
    }

    /// ‖M − I‖_F, from ‖Λ − I‖², the diagonal of UUᵀ and ‖UᵀU‖_F (no C×C matrix).
    public var distanceFromIdentity: Double {
        let lambda = diagonal.scalars.map(Double.init), u = lowRank.scalars.map(Double.init)
        var total = 0.0
        for c in 0..<channels {
            var rowNorm = 0.0
            for k in 0..<rank { rowNorm += u[c * rank + k] * u[c * rank + k] }
            total += (lambda[c] - 1) * (lambda[c] - 1) + 2 * (lambda[c] - 1) * rowNorm
        }
        for i in 0..<rank {
            for j in 0..<rank {
                var entry = 0.0
                for c in 0..<channels { entry += u[c * rank + i] * u[c * rank + j] }
                total += entry * entry
            }
        }
        return total.squareRoot()
    }

    /// min, mean and max of λ (Λ's spectrum).
    public var diagonalSummary: (minimum: Double, mean: Double, maximum: Double) {
        let values = diagonal.scalars.map(Double.init)
        return (values.min() ?? 0, values.reduce(0, +) / Double(max(1, values.count)), values.max() ?? 0)
    }

    /// λ and U as parameters named `PREFIX.diagonal` and `PREFIX.lowRank`.
    public func parameters(prefix: String) -> Parameters {
        Parameters([("\(prefix).diagonal", diagonal), ("\(prefix).lowRank", lowRank)])
    }

    public init(_ parameters: Parameters, prefix: String) {
        self.init(diagonal: parameters["\(prefix).diagonal"], lowRank: parameters["\(prefix).lowRank"])
    }

    /// (B, S) of a gradient with `channels` on axis 1.
    static func layout(_ gradient: Tensor, channels: Int) -> (batch: Int, spatial: Int) {
        precondition(gradient.rank >= 2 && gradient.shape[1] == channels,
                     "a projection over \(channels) channels cannot act on a gradient of shape \(gradient.shape)")
        return (gradient.shape[0], gradient.count / (gradient.shape[0] * channels))
    }

    /// B×C×S → (B·S)×C.
    static func channelsLast(_ planes: Tensor, batch: Int, spatial: Int) -> Tensor {
        planes.permuted([0, 2, 1]).reshaped([batch * spatial, planes.shape[1]])
    }
}
