// Broadcasting arithmetic. Each op: forward kernel and backward rule side by side.
// Gradients of broadcast inputs are summed back to the input's shape (`sum(to:)`).

extension Tensor {
    /// Sums this tensor down to `shape`, the inverse of broadcasting (adjoint of `broadcast(to:)`).
    public func sum(to shape: [Int]) -> Tensor {
        if shape == self.shape { return self }
        precondition(Shape.broadcast(shape, self.shape) == self.shape,
                     "sum(to: \(shape)) needs a shape that broadcasts to \(self.shape)")
        let inputShape = self.shape
        return Tape.record("sumTo", shape: shape, storage: ReductionKernels.sum(self, to: shape), inputs: [self]) { g, _, _ in
            [g.broadcast(to: inputShape)]
        }
    }

    /// Repeats this tensor along broadcast axes to `shape` (adjoint of `sum(to:)`).
    public func broadcast(to shape: [Int]) -> Tensor {
        if shape == self.shape { return self }
        precondition(Shape.broadcast(self.shape, shape) == shape,
                     "\(self.shape) does not broadcast to \(shape)")
        let inputShape = self.shape
        return Tape.record("broadcast", shape: shape, storage: ReductionKernels.broadcast(self, to: shape), inputs: [self]) { g, _, _ in
            [g.sum(to: inputShape)]
        }
    }
}

/// Reduces a broadcast gradient to the shape of the input it belongs to (dropping leading axes).
@inline(__always)
func unbroadcast(_ gradient: Tensor, to shape: [Int]) -> Tensor {
    if gradient.shape == shape { return gradient }
    let padded = [Int](repeating: 1, count: gradient.rank - shape.count) + shape
    return gradient.sum(to: padded).reshaped(shape)
}

public func + (a: Tensor, b: Tensor) -> Tensor {
    let (shape, storage) = ElementwiseKernels.broadcast(a, b) { $0 + $1 }
    let shapeA = a.shape, shapeB = b.shape
    return Tape.record("add", shape: shape, storage: storage, inputs: [a, b]) { g, _, needs in
        [needs[0] ? unbroadcast(g, to: shapeA) : nil, needs[1] ? unbroadcast(g, to: shapeB) : nil]
    }
}

public func - (a: Tensor, b: Tensor) -> Tensor {
    let (shape, storage) = ElementwiseKernels.broadcast(a, b) { $0 - $1 }
    let shapeA = a.shape, shapeB = b.shape
    return Tape.record("subtract", shape: shape, storage: storage, inputs: [a, b]) { g, _, needs in
        [needs[0] ? unbroadcast(g, to: shapeA) : nil, needs[1] ? unbroadcast(-g, to: shapeB) : nil]
    }
}

public func * (a: Tensor, b: Tensor) -> Tensor {
    let (shape, storage) = ElementwiseKernels.broadcast(a, b) { $0 * $1 }
    let shapeA = a.shape, shapeB = b.shape
    return Tape.record("multiply", shape: shape, storage: storage, inputs: [a, b], saved: [a, b]) { g, saved, needs in
        [needs[0] ? unbroadcast(g * saved[1], to: shapeA) : nil,
         needs[1] ? unbroadcast(g * saved[0], to: shapeB) : nil]
    }
}

public func / (a: Tensor, b: Tensor) -> Tensor {
    let (shape, storage) = ElementwiseKernels.broadcast(a, b) { $0 / $1 }
    let shapeA = a.shape, shapeB = b.shape
    return Tape.record("divide", shape: shape, storage: storage, inputs: [a, b], saved: [a, b]) { g, saved, needs in
        let (x, y) = (saved[0], saved[1])
        return [needs[0] ? unbroadcast(g / y, to: shapeA) : nil,
                needs[1] ? unbroadcast(-(g * x) / (y * y), to: shapeB) : nil]
    }
}

public prefix func - (a: Tensor) -> Tensor {
    Tape.record("negate", shape: a.shape, storage: ElementwiseKernels.map(a) { -$0 }, inputs: [a]) { g, _, _ in [-g] }
}

// Scalar forms: the scalar is a constant.

public func + (a: Tensor, s: Float) -> Tensor {
    Tape.record("addScalar", shape: a.shape, storage: ElementwiseKernels.map(a) { $0 + s }, inputs: [a]) { g, _, _ in [g] }
}
public func + (s: Float, a: Tensor) -> Tensor { a + s }
public func - (a: Tensor, s: Float) -> Tensor { a + (-s) }
public func - (s: Float, a: Tensor) -> Tensor { (-a) + s }

public func * (a: Tensor, s: Float) -> Tensor {
    Tape.record("scale", shape: a.shape, storage: ElementwiseKernels.map(a) { $0 * s }, inputs: [a]) { g, _, _ in [g * s] }
}
public func * (s: Float, a: Tensor) -> Tensor { a * s }
public func / (a: Tensor, s: Float) -> Tensor { a * (1 / s) }
public func / (s: Float, a: Tensor) -> Tensor { s * reciprocal(a) }

/// 1 / x.
public func reciprocal(_ x: Tensor) -> Tensor {
    Tape.record("reciprocal", shape: x.shape, storage: ElementwiseKernels.map(x) { 1 / $0 }, inputs: [x], saved: [x]) { g, saved, _ in
        let r = reciprocal(saved[0])
        return [-(g * r * r)]
    }
}
