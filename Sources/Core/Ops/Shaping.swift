// Reshape, permute, slice and concatenate. Reshape shares storage (tensors are immutable).

extension Tensor {
    /// The same values with a new shape of equal element count. One axis may be −1 (inferred).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var target = newShape
        if let unknown = target.firstIndex(of: -1) {
            let known = target.enumerated().filter { $0.offset != unknown }.map(\.element).reduce(1, *)
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            target[unknown] = count / known
        }
        precondition(Shape.count(target) == count, "cannot reshape \(shape) (\(count) values) to \(newShape)")
        if target == shape { return self }
        let inputShape = shape
        return Tape.record("reshape", shape: target, storage: storage, inputs: [self]) { g, _, _ in
            [g.reshaped(inputShape)]
        }
    }

    /// Axes reordered: output axis k is input axis `axes[k]`.
    public func permuted(_ axes: [Int]) -> Tensor {
        precondition(axes.sorted() == Array(0..<rank), "permuted(\(axes)) is not a permutation of 0..<\(rank)")
        if axes == Array(0..<rank) { return self }
        var inverse = [Int](repeating: 0, count: rank)
        for (k, axis) in axes.enumerated() { inverse[axis] = k }
        let outShape = axes.map { shape[$0] }
        return Tape.record("permute", shape: outShape, storage: ShapingKernels.permute(self, axes: axes), inputs: [self]) { g, _, _ in
            [g.permuted(inverse)]
        }
    }

    /// The transpose of a matrix.
    public var transposed: Tensor {
        precondition(rank == 2, "transposed needs a matrix, shape is \(shape)")
        return permuted([1, 0])
    }

    /// The sub-range `range` along `axis`.
    public func slice(axis: Int, range: Range<Int>) -> Tensor {
        let a = Shape.axis(axis, rank: rank)
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[a], "slice \(range) out of bounds for axis \(a) of \(shape)")
        if range == 0..<shape[a] { return self }
        var outShape = shape
        outShape[a] = range.count
        let fullShape = shape
        return Tape.record("slice", shape: outShape, storage: ShapingKernels.slice(self, axis: a, range: range), inputs: [self]) { g, _, _ in
            [g.padded(into: fullShape, axis: a, offset: range.lowerBound)]
        }
    }

    /// This tensor placed at `offset` along `axis` of a zero tensor of `fullShape` (adjoint of `slice`).
    public func padded(into fullShape: [Int], axis: Int, offset: Int) -> Tensor {
        let a = Shape.axis(axis, rank: rank)
        let length = shape[a]
        return Tape.record("pad", shape: fullShape,
                           storage: ShapingKernels.embed(self, into: fullShape, axis: a, offset: offset), inputs: [self]) { g, _, _ in
            [g.slice(axis: a, range: offset..<(offset + length))]
        }
    }
}

/// Joins tensors along `axis`; all other axes must agree.
public func concat(_ tensors: [Tensor], axis: Int) -> Tensor {
    precondition(!tensors.isEmpty, "concat needs at least one tensor")
    if tensors.count == 1 { return tensors[0] }
    let a = Shape.axis(axis, rank: tensors[0].rank)
    var outShape = tensors[0].shape
    outShape[a] = tensors.map { $0.shape[a] }.reduce(0, +)
    for t in tensors {
        var check = t.shape
        check[a] = outShape[a]
        precondition(check == outShape, "concat: shapes \(tensors.map(\.shape)) differ outside axis \(a)")
    }
    let storage = TensorStorage(count: Shape.count(outShape))
    var offset = 0
    var ranges: [Range<Int>] = []
    for t in tensors {
        ShapingKernels.copy(t, into: storage.pointer, fullShape: outShape, axis: a, offset: offset)
        ranges.append(offset..<(offset + t.shape[a]))
        offset += t.shape[a]
    }
    return Tape.record("concat", shape: outShape, storage: storage, inputs: tensors) { g, _, needs in
        ranges.enumerated().map { needs[$0.offset] ? g.slice(axis: a, range: $0.element) : nil }
    }
}

enum ShapingKernels {
    static func permute(_ x: Tensor, axes: [Int]) -> TensorStorage {
        let outShape = axes.map { x.shape[$0] }
        let inStrides = Shape.strides(x.shape)
        let readStrides = axes.map { inStrides[$0] }
        let out = TensorStorage(count: x.count)
        let source = x.pointer, target = out.pointer
        let rank = outShape.count
        let inner = outShape[rank - 1], innerStride = readStrides[rank - 1]
        let outerCount = x.count / max(inner, 1)
        let outerShape = Array(outShape.dropLast()), outerStrides = Array(readStrides.dropLast())
        Parallel.forEachChunk(outerCount, minimumPerChunk: max(1, 16_384 / max(inner, 1))) { range in
            var index = [Int](repeating: 0, count: outerShape.count)
            var remainder = range.lowerBound
            for axis in stride(from: outerShape.count - 1, through: 0, by: -1) {
                index[axis] = remainder % outerShape[axis]
                remainder /= outerShape[axis]
            }
            var offset = zip(index, outerStrides).reduce(0) { $0 + $1.0 * $1.1 }
            for outer in range {
                let base = outer * inner
                for j in 0..<inner { target[base + j] = source[offset + j * innerStride] }
                var axis = outerShape.count - 1
                while axis >= 0 {
                    index[axis] += 1
                    offset += outerStrides[axis]
                    if index[axis] < outerShape[axis] { break }
                    offset -= outerStrides[axis] * outerShape[axis]
                    index[axis] = 0
                    axis -= 1
                }
            }
        }
        return out
    }

    static func slice(_ x: Tensor, axis: Int, range: Range<Int>) -> TensorStorage {
        let outer = x.shape[..<axis].reduce(1, *)
        let inner = x.shape[(axis + 1)...].reduce(1, *)
        let out = TensorStorage(count: outer * range.count * inner)
        let block = range.count * inner
        for o in 0..<outer {
            (out.pointer + o * block).update(from: x.pointer + (o * x.shape[axis] + range.lowerBound) * inner, count: block)
        }
        return out
    }

    static func embed(_ x: Tensor, into fullShape: [Int], axis: Int, offset: Int) -> TensorStorage {
        let out = TensorStorage(count: Shape.count(fullShape))
        out.pointer.initialize(repeating: 0, count: out.count)
        copy(x, into: out.pointer, fullShape: fullShape, axis: axis, offset: offset)
        return out
    }

    static func copy(_ x: Tensor, into target: UnsafeMutablePointer<Float>, fullShape: [Int], axis: Int, offset: Int) {
        let outer = fullShape[..<axis].reduce(1, *)
        let inner = fullShape[(axis + 1)...].reduce(1, *)
        let block = x.shape[axis] * inner
        for o in 0..<outer {
            (target + (o * fullShape[axis] + offset) * inner).update(from: x.pointer + o * block, count: block)
        }
    }
}
