// Task losses: cross-entropy with an ignore index, masked L1, cosine loss for normals.
// Conventions follow the MTAN / Auto-λ code.

/// Mean cross-entropy of `logits` (N×C or N×C×H×W) against integer `labels` (N or N×H×W, stored
/// as Floats). Pixels labelled `ignoreIndex` do not count; the mean is over the valid ones, and
/// the loss is 0 when none is valid.
public func crossEntropy(logits: Tensor, labels: Tensor, ignoreIndex: Int = -1) -> Tensor {
    let logProbabilities = logSoftmax(logits, axis: 1)
    let picked = pickClass(logProbabilities, labels: labels, ignoreIndex: ignoreIndex)
    let valid = labels.withUnsafeBufferPointer { $0.reduce(0) { $0 + (Int($1) == ignoreIndex ? 0 : 1) } }
    return -picked.sum() * (1 / Float(max(valid, 1)))
}

/// Mean of |prediction − target| over the positions where `mask` is 1 (0 when none is).
public func maskedL1(prediction: Tensor, target: Tensor, mask: Tensor) -> Tensor {
    let weighted = abs(prediction - target) * mask
    let valid = mask.withUnsafeBufferPointer { $0.reduce(0, +) } * Float(Shape.count(weighted.shape)) / Float(mask.count)
    return weighted.sum() * (1 / max(valid, 1))
}

/// 1 − mean cosine similarity between predicted and target normals (N×3×H×W) over the positions
/// where `mask` (N×1×H×W) is 1. The prediction is normalised to unit length here.
public func cosineLoss(prediction: Tensor, target: Tensor, mask: Tensor, epsilon: Float = 1e-8) -> Tensor {
    let length = sqrt((prediction * prediction).sum(axes: [1], keepingDimensions: true) + epsilon)
    let cosine = ((prediction / length) * target).sum(axes: [1], keepingDimensions: true) * mask
    let valid = mask.withUnsafeBufferPointer { $0.reduce(0, +) }
    return 1 - cosine.sum() * (1 / max(valid, 1))
}

/// 1 where any channel of `target` (N×C×…) is non-zero, as N×1×…: MTAN's validity mask for depth
/// (0 = missing) and normals (all-zero = missing).
public func nonZeroMask(_ target: Tensor) -> Tensor {
    let channels = target.shape[1]
    let outer = target.shape[0]
    let inner = target.count / (outer * channels)
    var shape = target.shape
    shape[1] = 1
    return Tensor(shape: shape) { out in
        let x = target.pointer
        for n in 0..<outer {
            for i in 0..<inner {
                var any = false
                for c in 0..<channels where x[(n * channels + c) * inner + i] != 0 { any = true }
                out[n * inner + i] = any ? 1 : 0
            }
        }
    }
}

/// out[n, …] = x[n, label, …] (0 where the label is `ignoreIndex`). Adjoint of `placeClass`.
public func pickClass(_ x: Tensor, labels: Tensor, ignoreIndex: Int = -1) -> Tensor {
    let classes = x.shape[1]
    var outShape = x.shape
    outShape.remove(at: 1)
    precondition(labels.count == Shape.count(outShape), "labels \(labels.shape) do not match logits \(x.shape)")
    let inner = x.count / (x.shape[0] * classes)
    let out = TensorStorage(count: labels.count)
    let source = x.pointer, label = labels.pointer, target = out.pointer
    for n in 0..<x.shape[0] {
        for i in 0..<inner {
            let k = Int(label[n * inner + i])
            if k == ignoreIndex { target[n * inner + i] = 0; continue }
            precondition(k >= 0 && k < classes, "label \(k) outside 0..<\(classes) (ignore index \(ignoreIndex))")
            target[n * inner + i] = source[(n * classes + k) * inner + i]
        }
    }
    let fullShape = x.shape
    return Tape.record("pickClass", shape: labels.shape, storage: out, inputs: [x], saved: [labels]) { g, saved, _ in
        [placeClass(g, labels: saved[0], shape: fullShape, ignoreIndex: ignoreIndex)]
    }
}

/// Zeros of `shape` (N×C×…) with out[n, label, …] = g[n, …]. Adjoint of `pickClass`.
public func placeClass(_ g: Tensor, labels: Tensor, shape: [Int], ignoreIndex: Int = -1) -> Tensor {
    let classes = shape[1]
    let inner = Shape.count(shape) / (shape[0] * classes)
    let out = TensorStorage(count: Shape.count(shape))
    out.pointer.initialize(repeating: 0, count: out.count)
    let source = g.pointer, label = labels.pointer, target = out.pointer
    for n in 0..<shape[0] {
        for i in 0..<inner {
            let k = Int(label[n * inner + i])
            if k == ignoreIndex { continue }
            target[(n * classes + k) * inner + i] = source[n * inner + i]
        }
    }
    let gradientShape = g.shape
    return Tape.record("placeClass", shape: shape, storage: out, inputs: [g], saved: [labels]) { gg, saved, _ in
        [pickClass(gg, labels: saved[0], ignoreIndex: ignoreIndex).reshaped(gradientShape)]
    }
}
