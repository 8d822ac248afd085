import Foundation

// Softmax and log-softmax along an axis.

/// log softmax along `axis`: x − max − log Σ exp(x − max).
/// VJP: g − softmax(x) · Σ_axis g (recomputed differentiably when recording, so second
/// derivatives are exact; the first-order path reuses the forward result).
public func logSoftmax(_ x: Tensor, axis: Int) -> Tensor {
    let a = Shape.axis(axis, rank: x.rank)
    let storage = SoftmaxKernels.logSoftmax(x, axis: a)
    let output = Tensor(shape: x.shape, storage: storage)
    return Tape.record("logSoftmax", shape: x.shape, storage: storage, inputs: [x], saved: [x, output]) { g, saved, _ in
        let y = Tape.isRecording ? logSoftmax(saved[0], axis: a) : saved[1]
        return [g - exp(y) * g.sum(axes: [a], keepingDimensions: true)]
    }
}

/// softmax along `axis`.
public func softmax(_ x: Tensor, axis: Int) -> Tensor { exp(logSoftmax(x, axis: axis)) }

enum SoftmaxKernels {
    static func logSoftmax(_ x: Tensor, axis: Int) -> TensorStorage {
        let n = x.shape[axis]
        let outer = x.shape[..<axis].reduce(1, *)
        let inner = x.shape[(axis + 1)...].reduce(1, *)
        let out = TensorStorage(count: x.count)
        let source = x.pointer, target = out.pointer
        Parallel.forEachChunk(outer * inner, minimumPerChunk: 2048) { range in
            for index in range {
                let o = index / inner, i = index % inner
                let base = o * n * inner + i
                var maximum = -Float.infinity
                for k in 0..<n { maximum = max(maximum, source[base + k * inner]) }
                var total: Float = 0
                for k in 0..<n { total += Foundation.exp(source[base + k * inner] - maximum) }
                let shift = maximum + Foundation.log(total)
                for k in 0..<n { target[base + k * inner] = source[base + k * inner] - shift }
            }
        }
        return out
    }
}
