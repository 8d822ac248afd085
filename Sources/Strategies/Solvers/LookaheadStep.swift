import Foundation

/// Simulated optimiser steps for lookaheads (IT-MTL, TAG, Auto-λ; STRATEGIES.md §7, §10): pure
/// functions of flat parameter vectors that *read* optimiser state and never write it.
/// Generic over the scalar (Float in training, Double in tests) and inlinable so they specialise.
public enum LookaheadStep {
    /// Plain SGD: `θ' = θ − η g`.
    @inlinable
    public static func sgd<Scalar: BinaryFloatingPoint>(parameters: [Scalar], gradient: [Scalar], learningRate: Scalar) throws -> [Scalar] {
        try checkLengths(parameters, gradient, "LookaheadStep.sgd")
        return zip(parameters, gradient).map { $0 - learningRate * $1 }
    }

    /// PyTorch SGD with momentum (dampening 0, no Nesterov) and L2 weight decay:
    /// `θ' = θ − η(μ·buf + g + wd·θ)`; with no buffer yet (nil) PyTorch's first step is
    /// `θ' = θ − η(g + wd·θ)`, the same as a zero buffer.
    @inlinable
    public static func pytorchMomentum<Scalar: BinaryFloatingPoint>(parameters: [Scalar], gradient: [Scalar], learningRate: Scalar,
                                                                   momentum: Scalar, buffer: [Scalar]?, weightDecay: Scalar = 0) throws -> [Scalar] {
        try checkLengths(parameters, gradient, "LookaheadStep.pytorchMomentum")
        if let buffer { try checkLengths(parameters, buffer, "LookaheadStep.pytorchMomentum (buffer)") }
        return parameters.indices.map { i in
            let previous = buffer.map { momentum * $0[i] } ?? 0
            return parameters[i] - learningRate * (previous + gradient[i] + weightDecay * parameters[i])
        }
    }

    /// Keras-style momentum (the TAG reference): `v' = μv − ηg`, `θ' = θ + v' = θ + μv − ηg`.
    @inlinable
    public static func kerasMomentum<Scalar: BinaryFloatingPoint>(parameters: [Scalar], gradient: [Scalar], learningRate: Scalar,
                                                                 momentum: Scalar, velocity: [Scalar]) throws -> [Scalar] {
        try checkLengths(parameters, gradient, "LookaheadStep.kerasMomentum")
        try checkLengths(parameters, velocity, "LookaheadStep.kerasMomentum (velocity)")
        return parameters.indices.map { parameters[$0] + momentum * velocity[$0] - learningRate * gradient[$0] }
    }

    /// Adam (Kingma & Ba) from state (m, v) after `completedSteps` = k previous steps:
    /// `m' = β₁m + (1−β₁)g`, `v' = β₂v + (1−β₂)g²`, `m̂ = m'/(1−β₁^{k+1})`, `v̂ = v'/(1−β₂^{k+1})`,
    /// `θ' = θ − η m̂/(√v̂ + ε)`. Returns θ' and the state it would write (for callers that need it).
    @inlinable
    public static func adam<Scalar: BinaryFloatingPoint>(parameters: [Scalar], gradient: [Scalar], learningRate: Scalar,
                                                        firstMoment: [Scalar], secondMoment: [Scalar], completedSteps: Int,
                                                        beta1: Scalar = 0.9, beta2: Scalar = 0.999, epsilon: Scalar = 1e-8)
        throws -> (parameters: [Scalar], firstMoment: [Scalar], secondMoment: [Scalar]) {
        try checkLengths(parameters, gradient, "LookaheadStep.adam")
        try checkLengths(parameters, firstMoment, "LookaheadStep.adam (first moment)")
        try checkLengths(parameters, secondMoment, "LookaheadStep.adam (second moment)")
        guard completedSteps >= 0 else {
            throw StrategyMathError.invalidArgument(function: "LookaheadStep.adam", reason: "completedSteps must not be negative")
        }
        let correction1 = Scalar(1 - pow(Double(beta1), Double(completedSteps + 1)))
        let correction2 = Scalar(1 - pow(Double(beta2), Double(completedSteps + 1)))
        var m = firstMoment, v = secondMoment, theta = parameters
        for i in parameters.indices {
            m[i] = beta1 * firstMoment[i] + (1 - beta1) * gradient[i]
            v[i] = beta2 * secondMoment[i] + (1 - beta2) * gradient[i] * gradient[i]
            theta[i] = parameters[i] - learningRate * (m[i] / correction1) / ((v[i] / correction2).squareRoot() + epsilon)
        }
        return (theta, m, v)
    }

    @inlinable
    static func checkLengths<Scalar>(_ a: [Scalar], _ b: [Scalar], _ function: String) throws {
        guard a.count == b.count else {
            throw StrategyMathError.lengthMismatch(function: function, argument: "a vector", expected: a.count, actual: b.count)
        }
    }
}
