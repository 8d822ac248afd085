// Max pooling with indices: the forward gathers the maxima; the backward scatter-adds the
// gradient to the recorded positions. Gather and scatter-add are each other's adjoints.

/// 2×2-style max pooling of N×C×H×W with a square window `size`, `stride` (default = size) and
/// implicit −∞ `padding` on every side (ResNet's stem: size 3, stride 2, padding 1).
///
/// `output: .blocked` keeps the output in x's channel-blocked layout when x is held in one (see
/// `maxPool2dWithIndices`), for a convolution that reads it next.
public func maxPool2d(_ x: Tensor, size: Int, stride: Int? = nil, padding: Int = 0, output: OutputLayout = .standard) -> Tensor {
    maxPool2dWithIndices(x, size: size, stride: stride, padding: padding, output: output).output
}

/// Max pooling that also returns where each maximum came from: `indices[n, c, k]` is the flat
/// position (row · W + column) within plane (n, c) of the input, as PyTorch's
/// `max_pool2d(return_indices=True)` gives it (ties go to the first in row-major order). The
/// indices are a constant (Float-valued, exact below 2²⁴) for `maxUnpool2d`.
///
/// When x is held in the convolution kernels' channel-blocked layout (`Tensor.format`) and the
/// windows are 2×2 with stride 2, the pooling runs on that layout (`BlockedMaxPoolKernels`, the
/// same values and indices bit for bit), the indices are held blocked too, ∂L/∂x is left blocked
/// like x, and `output: .blocked` keeps the output blocked (else it is reordered to N×C×H×W).
public func maxPool2dWithIndices(_ x: Tensor, size: Int, stride: Int? = nil, padding: Int = 0,
                                 output: OutputLayout = .standard) -> (output: Tensor, indices: Tensor) {
    let step = stride ?? size
    precondition(x.rank == 4, "maxPool2d needs N×C×H×W, got \(x.shape)")
    precondition(padding >= 0 && 2 * padding <= size, "maxPool2d: padding \(padding) must be in 0…size/2 (size \(size)), as in PyTorch")
    let outH = (x.shape[2] + 2 * padding - size) / step + 1, outW = (x.shape[3] + 2 * padding - size) / step + 1
    precondition(outH > 0 && outW > 0, "maxPool2d: input \(x.shape) smaller than window \(size)")
    if case .blocked(let block) = x.format, size == 2, step == 2, padding == 0 {
        return blockedMaxPool2d(x, block: block, output: output)
    }
    let planes = x.shape[0] * x.shape[1]
    let inPlane = x.shape[2] * x.shape[3], outPlane = outH * outW
    let values = TensorStorage(count: planes * outPlane)
    let positions = TensorStorage(count: planes * outPlane)
    let source = x.pointer, width = x.shape[3], height = x.shape[2]
    let maxima = values.pointer, indexTarget = positions.pointer
    Parallel.forEachChunk(planes, minimumPerChunk: max(1, 16_384 / max(1, inPlane))) { range in
        for p in range {
            let plane = source + p * inPlane
            if size == 2 && step == 2 && padding == 0 {
                // The common 2×2 window, unrolled: the same scan order and tie-breaking as below.
                for oh in 0..<outH {
                    let top = 2 * oh * width, bottom = top + width
                    let targetValues = maxima + p * outPlane + oh * outW, targetPositions = indexTarget + p * outPlane + oh * outW
                    // Four windows at a time: the same comparisons lane by lane (the even and odd
                    // columns of eight inputs are the windows' left and right halves).
                    var ow = 0
                    while ow + 4 <= outW {
                        let upper = SIMD8<Float>.load(plane + top + 2 * ow), lower = SIMD8<Float>.load(plane + bottom + 2 * ow)
                        let a = upper.evenHalf, b = upper.oddHalf, c = lower.evenHalf, d = lower.oddHalf
                        let first = Float(top + 2 * ow) + SIMD4<Float>(0, 2, 4, 6)
                        var best = SIMD4<Float>(repeating: -.infinity), bestIndex = first
                        best.replace(with: a, where: a .> best)
                        let takeB = b .> best
                        best.replace(with: b, where: takeB); bestIndex.replace(with: first + 1, where: takeB)
                        let takeC = c .> best
                        best.replace(with: c, where: takeC); bestIndex.replace(with: first + Float(width), where: takeC)
                        let takeD = d .> best
                        best.replace(with: d, where: takeD); bestIndex.replace(with: first + Float(width + 1), where: takeD)
                        UnsafeMutableRawPointer(targetValues + ow).storeBytes(of: best, as: SIMD4<Float>.self)
                        UnsafeMutableRawPointer(targetPositions + ow).storeBytes(of: bestIndex, as: SIMD4<Float>.self)
                        ow += 4
                    }
                    for ow in ow..<outW {
                        let i0 = top + 2 * ow, i2 = bottom + 2 * ow
                        // Selects instead of branches: which element wins is random, so branches
                        // mispredict (this loop was 18 % of a MultiLeNet step).
                        let a = plane[i0], b = plane[i0 + 1], c = plane[i2], d = plane[i2 + 1]
                        var best = -Float.infinity, bestIndex = i0
                        best = a > best ? a : best
                        let takeB = b > best, takeC = (takeB ? b : best) < c
                        best = takeB ? b : best; bestIndex = takeB ? i0 + 1 : bestIndex
                        best = takeC ? c : best; bestIndex = takeC ? i2 : bestIndex
                        let takeD = d > best
                        best = takeD ? d : best; bestIndex = takeD ? i2 + 1 : bestIndex
                        targetValues[ow] = best
                        targetPositions[ow] = Float(bestIndex)
                    }
                }
                continue
            }
            for oh in 0..<outH {
                for ow in 0..<outW {
                    // Padded positions never win (−∞); a window always holds a real position.
                    let top = oh * step - padding, left = ow * step - padding
                    let rows = max(0, top)..<min(height, top + size), columns = max(0, left)..<min(width, left + size)
                    var best = -Float.infinity, bestIndex = rows.lowerBound * width + columns.lowerBound
                    for row in rows {
                        for column in columns {
                            let index = row * width + column
                            if plane[index] > best { best = plane[index]; bestIndex = index }
                        }
                    }
                    maxima[p * outPlane + oh * outW + ow] = best
                    indexTarget[p * outPlane + oh * outW + ow] = Float(bestIndex)
                }
            }
        }
    }
    let indices = Tensor(shape: [x.shape[0], x.shape[1], outH, outW], storage: positions)
    let inputShape = x.shape
    let output = Tape.record("maxPool2d", shape: indices.shape, storage: values, inputs: [x], saved: [indices]) { g, saved, _ in
        [scatterAddPlanes(g, indices: saved[0], planeShape: inputShape)]
    }
    return (output, indices)
}

/// `maxPool2dWithIndices` of x held in blocks of `block` channels, 2×2 windows with stride 2. A
/// recorded backward pass (second order) runs through `scatterAddPlanes` on N×C×H×W copies.
private func blockedMaxPool2d(_ x: Tensor, block: Int, output: OutputLayout) -> (output: Tensor, indices: Tensor) {
    let format = ActivationFormat.blocked(block), inputShape = x.shape, shape = BlockedMaxPoolKernels.pooledShape(x.shape)
    let values = TensorStorage(count: format.storageCount(shape)), positions = TensorStorage(count: format.storageCount(shape))
    BlockedMaxPoolKernels.forward(x.heldPointer, shape: inputShape, block: block, values: values.pointer, positions: positions.pointer)
    let indices = Tensor(shape: shape, storage: positions, format: format)
    let keepBlocked = output == .blocked && OutputLayout.blockedOutputsAllowed
    let pooled = Tape.record("maxPool2d", shape: shape, storage: keepBlocked ? values : format.reordered(values, shape, to: .plain),
                             format: keepBlocked ? format : .plain, inputs: [x], saved: [indices]) { g, saved, _ in
        guard !Tape.isRecording else { return [scatterAddPlanes(g, indices: saved[0], planeShape: inputShape)] }
        let gradient = g.storage(in: format), dx = TensorStorage(count: format.storageCount(inputShape))
        withExtendedLifetime(gradient) {
            BlockedMaxPoolKernels.backward(gradient.pointer, positions: saved[0].heldPointer, shape: inputShape, block: block, into: dx.pointer)
        }
        return [Tensor(shape: inputShape, storage: dx, format: format)]
    }
    return (pooled, indices)
}

/// Max unpooling (PyTorch `max_unpool2d`): an N×C×h×w input placed at the positions `indices`
/// (from `maxPool2dWithIndices`) of N×C×`height`×`width` planes, zeros elsewhere. With
/// non-overlapping windows every position gets at most one value, so this is the scatter-add
/// `scatterAddPlanes`; its adjoint gathers the gradient back from those positions.
public func maxUnpool2d(_ x: Tensor, indices: Tensor, height: Int, width: Int) -> Tensor {
    precondition(x.rank == 4 && indices.shape == x.shape, "maxUnpool2d needs N×C×h×w input and indices of the same shape, got \(x.shape) and \(indices.shape)")
    return scatterAddPlanes(x, indices: indices, planeShape: [x.shape[0], x.shape[1], height, width])
}

/// out[n, c, indices[n,c,k]] += g[n, c, k]: scatter-add within each plane (adjoint of `gatherPlanes`).
public func scatterAddPlanes(_ g: Tensor, indices: Tensor, planeShape: [Int]) -> Tensor {
    let planes = planeShape[0] * planeShape[1]
    let inPlane = planeShape[2] * planeShape[3], outPlane = g.count / planes
    let out = TensorStorage(count: planes * inPlane)
    let source = g.pointer, index = indices.pointer
    Parallel.forEachChunk(planes, minimumPerChunk: max(1, 16_384 / max(1, inPlane))) { range in
        for p in range {
            let plane = out.pointer + p * inPlane
            plane.initialize(repeating: 0, count: inPlane)
            for k in 0..<outPlane { plane[Int(index[p * outPlane + k])] += source[p * outPlane + k] }
        }
    }
    let gradientShape = g.shape
    return Tape.record("scatterAddPlanes", shape: planeShape, storage: out, inputs: [g], saved: [indices]) { gg, saved, _ in
        [gatherPlanes(gg, indices: saved[0], outputShape: gradientShape)]
    }
}

/// out[n, c, k] = x[n, c, indices[n,c,k]] (adjoint of `scatterAddPlanes`).
public func gatherPlanes(_ x: Tensor, indices: Tensor, outputShape: [Int]) -> Tensor {
    let planes = x.shape[0] * x.shape[1]
    let inPlane = x.count / planes, outPlane = Shape.count(outputShape) / planes
    let out = TensorStorage(count: planes * outPlane)
    let source = x.pointer, index = indices.pointer
    for p in 0..<planes {
        for k in 0..<outPlane { out.pointer[p * outPlane + k] = source[p * inPlane + Int(index[p * outPlane + k])] }
    }
    let inputShape = x.shape
    return Tape.record("gatherPlanes", shape: outputShape, storage: out, inputs: [x], saved: [indices]) { g, saved, _ in
        [scatterAddPlanes(g, indices: saved[0], planeShape: inputShape)]
    }
}
