// Sums and means over axes, dot products and norms (all built on `sum(to:)`).

extension Tensor {
    /// Sum of all elements (a scalar).
    public func sum() -> Tensor {
        let inputShape = shape
        let out = TensorStorage(count: 1)
        out.pointer[0] = ReductionKernels.total(pointer, count: count)
        return Tape.record("sum", shape: [], storage: out, inputs: [self]) { g, _, _ in
            [g.reshaped([Int](repeating: 1, count: inputShape.count)).broadcast(to: inputShape)]
        }
    }

    /// Sum over `axes`; reduced axes are kept with length 1 when `keepingDimensions`.
    public func sum(axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        let normalised = Set(axes.map { Shape.axis($0, rank: rank) })
        let kept = shape.enumerated().map { normalised.contains($0.offset) ? 1 : $0.element }
        let reduced = sum(to: kept)
        if keepingDimensions { return reduced }
        return reduced.reshaped(shape.enumerated().filter { !normalised.contains($0.offset) }.map(\.element))
    }

    public func mean() -> Tensor { sum() * (1 / Float(Swift.max(count, 1))) }

    public func mean(axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        let n = axes.map { shape[Shape.axis($0, rank: rank)] }.reduce(1, *)
        return sum(axes: axes, keepingDimensions: keepingDimensions) * (1 / Float(n))
    }

    /// Euclidean norm of all elements.
    public func norm() -> Tensor { sqrt((self * self).sum()) }
}

/// Σ a·b over all elements (shapes must match).
public func dot(_ a: Tensor, _ b: Tensor) -> Tensor {
    precondition(a.shape == b.shape, "dot: shapes \(a.shape) and \(b.shape) differ")
    return (a * b).sum()
}
