/// The finite-difference hypergradient of Auto-λ (Liu, James, Davison & Johns, "Auto-Lambda:
/// Disentangling Dynamic Task Relationships", TMLR 2022), STRATEGIES.md §7.
///
/// Meta objective `L_val(θ'(λ))` with the virtual step `θ' = θ − α(μ·buf + ∇_θ Σλ_t L_t + wd·θ)`.
/// With `v = ∇_{θ'} L_val(θ')`, the mixed second derivative is approximated by a central difference
/// (DARTS style): `ε = 0.01/‖v‖`, `θ± = θ ± εv` (the *original* θ), `h_t = (L_t(θ+) − L_t(θ−))/(2ε)`
/// on the same train batch, and `grad_λ = −α·h` (exact for quadratic losses). The dependence of the
/// momentum and weight-decay terms on λ is ignored, as in the reference.
public enum AutoLambdaHypergradient {
    /// The virtual step `θ − α(μ·buf + g + wd·θ)` (buf = 0 / nil when the optimiser has none).
    @inlinable
    public static func virtualStep<Scalar: BinaryFloatingPoint>(parameters: [Scalar], gradient: [Scalar], learningRate: Scalar,
                                                               momentum: Scalar = 0, buffer: [Scalar]? = nil,
                                                               weightDecay: Scalar = 0) throws -> [Scalar] {
        try LookaheadStep.pytorchMomentum(parameters: parameters, gradient: gradient, learningRate: learningRate,
                                          momentum: momentum, buffer: buffer, weightDecay: weightDecay)
    }

    /// ε = `scale`/‖v‖ (scale 0.01 in the reference).
    /// - Throws: `.invalidArgument` when v = 0 (no meta gradient to follow).
    @inlinable
    public static func epsilon<Scalar: BinaryFloatingPoint>(direction: [Scalar], scale: Double = 0.01) throws -> Double {
        let norm = direction.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        guard norm > 0 else {
            throw StrategyMathError.invalidArgument(function: "AutoLambdaHypergradient.epsilon", reason: "the validation gradient v is zero")
        }
        return scale / norm
    }

    /// θ± = θ ± εv.
    @inlinable
    public static func perturbedParameters<Scalar: BinaryFloatingPoint>(parameters: [Scalar], direction: [Scalar],
                                                                       epsilon: Double) throws -> (plus: [Scalar], minus: [Scalar]) {
        try LookaheadStep.checkLengths(parameters, direction, "AutoLambdaHypergradient.perturbedParameters")
        let e = Scalar(epsilon)
        return (zip(parameters, direction).map { $0 + e * $1 }, zip(parameters, direction).map { $0 - e * $1 })
    }

    /// `grad_λ_t = −α (L_t(θ+) − L_t(θ−)) / (2ε)`.
    public static func hypergradient(lossesPlus: [Double], lossesMinus: [Double], epsilon: Double,
                                     learningRate: Double) throws -> [Double] {
        let function = "AutoLambdaHypergradient.hypergradient"
        try MathValidation.taskCount(lossesPlus.count, function: function)
        try MathValidation.length(lossesMinus, lossesPlus.count, argument: "lossesMinus", function: function)
        guard epsilon > 0 else { throw StrategyMathError.invalidArgument(function: function, reason: "ε must be positive") }
        return zip(lossesPlus, lossesMinus).map { -learningRate * ($0 - $1) / (2 * epsilon) }
    }
}
