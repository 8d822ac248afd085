import Foundation

// Elementwise unary functions. Backward rules recompute what they need from the saved input with
// differentiable ops, so every function here has correct higher derivatives.

/// A constant 0/1 tensor: 1 where `predicate` holds. Not differentiable (its derivative is 0 a.e.).
@inline(__always)
func indicator(_ x: Tensor, _ predicate: (Float) -> Bool) -> Tensor {
    Tensor(shape: x.shape, storage: ElementwiseKernels.map(x) { predicate($0) ? 1 : 0 })
}

public func exp(_ x: Tensor) -> Tensor {
    Tape.record("exp", shape: x.shape, storage: ElementwiseKernels.map(x) { Foundation.exp($0) }, inputs: [x], saved: [x]) { g, saved, _ in
        [g * exp(saved[0])]
    }
}

public func log(_ x: Tensor) -> Tensor {
    Tape.record("log", shape: x.shape, storage: ElementwiseKernels.map(x) { Foundation.log($0) }, inputs: [x], saved: [x]) { g, saved, _ in
        [g / saved[0]]
    }
}

public func sqrt(_ x: Tensor) -> Tensor {
    Tape.record("sqrt", shape: x.shape, storage: ElementwiseKernels.map(x) { $0.squareRoot() }, inputs: [x], saved: [x]) { g, saved, _ in
        [g * rsqrt(saved[0]) * 0.5]
    }
}

/// 1 / √x.
public func rsqrt(_ x: Tensor) -> Tensor {
    Tape.record("rsqrt", shape: x.shape, storage: ElementwiseKernels.map(x) { 1 / $0.squareRoot() }, inputs: [x], saved: [x]) { g, saved, _ in
        [g * pow(saved[0], -1.5) * -0.5]
    }
}

/// x^p for a constant exponent p.
public func pow(_ x: Tensor, _ p: Float) -> Tensor {
    if p == 1 { return x }
    if p == 2 { return x * x }
    return Tape.record("pow", shape: x.shape, storage: ElementwiseKernels.map(x) { Foundation.pow($0, p) }, inputs: [x], saved: [x]) { g, saved, _ in
        [g * pow(saved[0], p - 1) * p]
    }
}

public func abs(_ x: Tensor) -> Tensor {
    Tape.record("abs", shape: x.shape, storage: ElementwiseKernels.map(x) { Swift.abs($0) }, inputs: [x], saved: [x]) { g, saved, _ in
        [g * sign(saved[0])]
    }
}

/// −1, 0 or 1 (a constant: its derivative is zero almost everywhere).
public func sign(_ x: Tensor) -> Tensor {
    Tensor(shape: x.shape, storage: ElementwiseKernels.map(x) { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) })
}

extension Tensor {
    /// Values limited to [minimum, maximum]; the gradient passes where the value was inside.
    public func clamped(minimum: Float = -.infinity, maximum: Float = .infinity) -> Tensor {
        Tape.record("clamp", shape: shape, storage: ElementwiseKernels.map(self) { Swift.min(Swift.max($0, minimum), maximum) },
                    inputs: [self], saved: [self]) { g, saved, _ in
            [g * indicator(saved[0]) { $0 >= minimum && $0 <= maximum }]
        }
    }
}

private func rectify(_ x: Tensor) -> TensorStorage { ElementwiseKernels.map(x) { $0 > 0 ? $0 : 0 } }
private func logistic(_ x: Tensor) -> TensorStorage { ElementwiseKernels.map(x) { 1 / (1 + Foundation.exp(-$0)) } }
private func hyperbolicTangent(_ x: Tensor) -> TensorStorage { ElementwiseKernels.map(x) { Foundation.tanh($0) } }

public func relu(_ x: Tensor) -> Tensor {
    Tape.record("relu", shape: x.shape, storage: rectify(x), inputs: [x], saved: [x], recomputeOutput: { rectify($0[0]) }) { g, saved, _ in
        [reluGradient(g, input: saved[0])]
    }
}

/// g where `input` > 0, else 0: the VJP of `relu` in one pass (no 0/1 mask tensor). The mask is a
/// constant, so the op is linear in g and its own VJP is itself; `input` gets no gradient (the
/// derivative of the mask is zero almost everywhere).
public func reluGradient(_ g: Tensor, input: Tensor) -> Tensor {
    precondition(g.shape == input.shape, "reluGradient: gradient \(g.shape) and input \(input.shape) differ")
    let storage = ElementwiseKernels.zip(g, input) { $1 > 0 ? $0 : 0 }
    return Tape.record("reluGradient", shape: g.shape, storage: storage, inputs: [g], saved: [input]) { gg, saved, _ in
        [reluGradient(gg, input: saved[0])]
    }
}

public func sigmoid(_ x: Tensor) -> Tensor {
    Tape.record("sigmoid", shape: x.shape, storage: logistic(x), inputs: [x], saved: [x], recomputeOutput: { logistic($0[0]) }) { g, saved, _ in
        let s = sigmoid(saved[0])
        return [g * s * (1 - s)]
    }
}

public func tanh(_ x: Tensor) -> Tensor {
    Tape.record("tanh", shape: x.shape, storage: hyperbolicTangent(x), inputs: [x], saved: [x],
                recomputeOutput: { hyperbolicTangent($0[0]) }) { g, saved, _ in
        let t = tanh(saved[0])
        return [g * (1 - t * t)]
    }
}
