/// Raw loops behind elementwise ops: same-shape, scalar and general broadcasting paths.
enum ElementwiseKernels {
    /// out[i] = op(a[i]) over contiguous memory.
    @inline(__always)
    static func map(_ a: Tensor, _ op: (Float) -> Float) -> TensorStorage {
        let out = TensorStorage(count: a.count)
        let source = a.pointer, target = out.pointer
        Parallel.forEachChunk(a.count) { range in
            for i in range { target[i] = op(source[i]) }
        }
        return out
    }

    /// out[i] = op(a[i], b[i]) for same-shaped inputs.
    @inline(__always)
    static func zip(_ a: Tensor, _ b: Tensor, _ op: (Float, Float) -> Float) -> TensorStorage {
        let out = TensorStorage(count: a.count)
        let x = a.pointer, y = b.pointer, target = out.pointer
        Parallel.forEachChunk(a.count) { range in
            for i in range { target[i] = op(x[i], y[i]) }
        }
        return out
    }

    /// Broadcasting binary op; returns the output shape and storage.
    @inline(__always)
    static func broadcast(_ a: Tensor, _ b: Tensor, _ op: (Float, Float) -> Float) -> ([Int], TensorStorage) {
        if a.shape == b.shape { return (a.shape, zip(a, b, op)) }
        guard let shape = Shape.broadcast(a.shape, b.shape) else {
            preconditionFailure("shapes \(a.shape) and \(b.shape) do not broadcast")
        }
        let count = Shape.count(shape)
        let out = TensorStorage(count: count)
        let x = a.pointer, y = b.pointer, target = out.pointer
        if b.count == 1 && a.count == count {
            let value = y[0]
            Parallel.forEachChunk(count) { range in for i in range { target[i] = op(x[i], value) } }
            return (shape, out)
        }
        if a.count == 1 && b.count == count {
            let value = x[0]
            Parallel.forEachChunk(count) { range in for i in range { target[i] = op(value, y[i]) } }
            return (shape, out)
        }
        let layout = BroadcastLayout(shape: shape, operands: [a.shape, b.shape])
        let inner = layout.innerCount
        let innerA = layout.innerStrides[0], innerB = layout.innerStrides[1]
        Parallel.forEachChunk(layout.outerCount, minimumPerChunk: max(1, 32_768 / max(inner, 1))) { range in
            var walker = layout.walker(startingAt: range.lowerBound)
            for outer in range {
                let offsetA = walker.offsets[0], offsetB = walker.offsets[1]
                let base = outer * inner
                if innerA == 1 && innerB == 1 {
                    for j in 0..<inner { target[base + j] = op(x[offsetA + j], y[offsetB + j]) }
                } else if innerA == 1 && innerB == 0 {
                    let value = y[offsetB]
                    for j in 0..<inner { target[base + j] = op(x[offsetA + j], value) }
                } else if innerA == 0 && innerB == 1 {
                    let value = x[offsetA]
                    for j in 0..<inner { target[base + j] = op(value, y[offsetB + j]) }
                } else {
                    for j in 0..<inner { target[base + j] = op(x[offsetA + j * innerA], y[offsetB + j * innerB]) }
                }
                walker.advance()
            }
        }
        return (shape, out)
    }
}

/// Iteration layout for reading operands of smaller shapes against a broadcast output shape.
/// Adjacent axes that are contiguous for every operand are merged; the last merged axis becomes
/// the inner loop and the rest are walked with an odometer.
struct BroadcastLayout {
    let outerShape: [Int]
    let outerStrides: [[Int]]
    let innerCount: Int
    let innerStrides: [Int]
    var outerCount: Int { Shape.count(outerShape) }

    init(shape: [Int], operands: [[Int]]) {
        var sizes: [Int] = []
        var strides: [[Int]] = operands.map { _ in [] }
        let operandStrides = operands.map { Shape.broadcastStrides(of: $0, to: shape) }
        for axis in 0..<shape.count where shape[axis] != 1 {
            if let last = sizes.last,
               (0..<operands.count).allSatisfy({ strides[$0].last! == operandStrides[$0][axis] * shape[axis] }) {
                sizes[sizes.count - 1] = last * shape[axis]
                for k in 0..<operands.count { strides[k][strides[k].count - 1] = operandStrides[k][axis] }
            } else {
                sizes.append(shape[axis])
                for k in 0..<operands.count { strides[k].append(operandStrides[k][axis]) }
            }
        }
        if sizes.isEmpty {
            sizes = [1]
            strides = operands.map { _ in [0] }
        }
        innerCount = sizes.last!
        innerStrides = strides.map { $0.last! }
        outerShape = Array(sizes.dropLast())
        outerStrides = strides.map { Array($0.dropLast()) }
    }

    func walker(startingAt outer: Int) -> Walker { Walker(layout: self, start: outer) }

    /// An odometer over the outer axes tracking each operand's element offset.
    struct Walker {
        let shape: [Int]
        let strides: [[Int]]
        var index: [Int]
        var offsets: [Int]

        init(layout: BroadcastLayout, start: Int) {
            shape = layout.outerShape
            strides = layout.outerStrides
            index = [Int](repeating: 0, count: shape.count)
            var remainder = start
            for axis in stride(from: shape.count - 1, through: 0, by: -1) {
                index[axis] = remainder % shape[axis]
                remainder /= shape[axis]
            }
            let startIndex = index
            offsets = layout.outerStrides.map { s in zip(s, startIndex).reduce(0) { $0 + $1.0 * $1.1 } }
        }

        mutating func advance() {
            var axis = shape.count - 1
            while axis >= 0 {
                index[axis] += 1
                for k in 0..<offsets.count { offsets[k] += strides[k][axis] }
                if index[axis] < shape[axis] { return }
                for k in 0..<offsets.count { offsets[k] -= strides[k][axis] * shape[axis] }
                index[axis] = 0
                axis -= 1
            }
        }
    }
}
