// Nearest and bilinear up-sampling of N×C×H×W tensors. Each is a linear map whose adjoint is a
// separate op, and the two are each other's VJPs.

/// Nearest-neighbour up-sampling by an integer `factor` in both spatial dimensions.
public func upsampleNearest(_ x: Tensor, factor: Int) -> Tensor {
    precondition(x.rank == 4 && factor >= 1, "upsampleNearest needs N×C×H×W and factor ≥ 1")
    if factor == 1 { return x }
    let (h, w) = (x.shape[2], x.shape[3])
    let outShape = [x.shape[0], x.shape[1], h * factor, w * factor]
    let out = TensorStorage(count: Shape.count(outShape))
    let planes = x.shape[0] * x.shape[1]
    for p in 0..<planes {
        let source = x.pointer + p * h * w, target = out.pointer + p * h * w * factor * factor
        for i in 0..<(h * factor) {
            for j in 0..<(w * factor) { target[i * w * factor + j] = source[(i / factor) * w + j / factor] }
        }
    }
    return Tape.record("upsampleNearest", shape: outShape, storage: out, inputs: [x]) { g, _, _ in
        [blockSum(g, factor: factor)]
    }
}

/// Sum over non-overlapping factor×factor blocks (adjoint of `upsampleNearest`).
public func blockSum(_ x: Tensor, factor: Int) -> Tensor {
    let (h, w) = (x.shape[2] / factor, x.shape[3] / factor)
    let outShape = [x.shape[0], x.shape[1], h, w]
    let out = TensorStorage(count: Shape.count(outShape))
    out.pointer.initialize(repeating: 0, count: out.count)
    let planes = x.shape[0] * x.shape[1]
    for p in 0..<planes {
        let source = x.pointer + p * h * w * factor * factor, target = out.pointer + p * h * w
        for i in 0..<(h * factor) {
            for j in 0..<(w * factor) { target[(i / factor) * w + j / factor] += source[i * w * factor + j] }
        }
    }
    return Tape.record("blockSum", shape: outShape, storage: out, inputs: [x]) { g, _, _ in
        [upsampleNearest(g, factor: factor)]
    }
}

/// Bilinear resize to `height`×`width` (PyTorch `interpolate(mode: "bilinear")` semantics,
/// `alignCorners` as there).
public func upsampleBilinear(_ x: Tensor, height: Int, width: Int, alignCorners: Bool = false) -> Tensor {
    precondition(x.rank == 4, "upsampleBilinear needs N×C×H×W, got \(x.shape)")
    let taps = BilinearTaps(inputHeight: x.shape[2], inputWidth: x.shape[3], outputHeight: height, outputWidth: width,
                            alignCorners: alignCorners)
    return bilinearApply(x, taps)
}

func bilinearApply(_ x: Tensor, _ taps: BilinearTaps) -> Tensor {
    let outShape = [x.shape[0], x.shape[1], taps.outputHeight, taps.outputWidth]
    let out = TensorStorage(count: Shape.count(outShape))
    let planes = x.shape[0] * x.shape[1]
    let inPlane = taps.inputHeight * taps.inputWidth, outPlane = taps.outputHeight * taps.outputWidth
    Parallel.forEachChunk(planes, minimumPerChunk: max(1, 16_384 / max(1, outPlane))) { range in
        for p in range {
            let source = x.pointer + p * inPlane, target = out.pointer + p * outPlane
            for i in 0..<taps.outputHeight {
                let (r0, r1, wr) = taps.rows[i]
                for j in 0..<taps.outputWidth {
                    let (c0, c1, wc) = taps.columns[j]
                    let top = source[r0 * taps.inputWidth + c0] * (1 - wc) + source[r0 * taps.inputWidth + c1] * wc
                    let bottom = source[r1 * taps.inputWidth + c0] * (1 - wc) + source[r1 * taps.inputWidth + c1] * wc
                    target[i * taps.outputWidth + j] = top * (1 - wr) + bottom * wr
                }
            }
        }
    }
    return Tape.record("upsampleBilinear", shape: outShape, storage: out, inputs: [x]) { g, _, _ in
        [bilinearAdjoint(g, taps)]
    }
}

func bilinearAdjoint(_ g: Tensor, _ taps: BilinearTaps) -> Tensor {
    let outShape = [g.shape[0], g.shape[1], taps.inputHeight, taps.inputWidth]
    let out = TensorStorage(count: Shape.count(outShape))
    let planes = g.shape[0] * g.shape[1]
    let inPlane = taps.inputHeight * taps.inputWidth, outPlane = taps.outputHeight * taps.outputWidth
    Parallel.forEachChunk(planes, minimumPerChunk: max(1, 16_384 / max(1, outPlane))) { range in
        for p in range {
            let source = g.pointer + p * outPlane, target = out.pointer + p * inPlane
            target.initialize(repeating: 0, count: inPlane)
            for i in 0..<taps.outputHeight {
                let (r0, r1, wr) = taps.rows[i]
                for j in 0..<taps.outputWidth {
                    let (c0, c1, wc) = taps.columns[j]
                    let v = source[i * taps.outputWidth + j]
                    target[r0 * taps.inputWidth + c0] += v * (1 - wr) * (1 - wc)
                    target[r0 * taps.inputWidth + c1] += v * (1 - wr) * wc
                    target[r1 * taps.inputWidth + c0] += v * wr * (1 - wc)
                    target[r1 * taps.inputWidth + c1] += v * wr * wc
                }
            }
        }
    }
    return Tape.record("upsampleBilinearAdjoint", shape: outShape, storage: out, inputs: [g]) { gg, _, _ in
        [bilinearApply(gg, taps)]
    }
}

/// Source rows/columns and interpolation weights of a bilinear resize.
struct BilinearTaps {
    let inputHeight: Int, inputWidth: Int, outputHeight: Int, outputWidth: Int
    let rows: [(Int, Int, Float)]
    let columns: [(Int, Int, Float)]

    init(inputHeight: Int, inputWidth: Int, outputHeight: Int, outputWidth: Int, alignCorners: Bool) {
        self.inputHeight = inputHeight; self.inputWidth = inputWidth
        self.outputHeight = outputHeight; self.outputWidth = outputWidth
        rows = BilinearTaps.axis(input: inputHeight, output: outputHeight, alignCorners: alignCorners)
        columns = BilinearTaps.axis(input: inputWidth, output: outputWidth, alignCorners: alignCorners)
    }

    static func axis(input: Int, output: Int, alignCorners: Bool) -> [(Int, Int, Float)] {
        (0..<output).map { o in
            var position: Float
            if alignCorners {
                position = output > 1 ? Float(o) * Float(input - 1) / Float(output - 1) : 0
            } else {
                position = max(0, (Float(o) + 0.5) * Float(input) / Float(output) - 0.5)
            }
            let low = min(Int(position), input - 1)
            let high = min(low + 1, input - 1)
            return (low, high, position - Float(low))
        }
    }
}
