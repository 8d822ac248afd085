// 2×2 max pooling (stride 2, no padding) on the convolution kernels' channel-blocked layout
// (N×⌈C/b⌉×H×W×b, `ActivationFormat.blocked`): the values, positions and gradients of
// `maxPool2dWithIndices` and its backward, bit for bit.
//
// Each lane of a group of eight (`BlockedLanes`) is one channel; a window's four inputs are four
// vectors, compared in the N×C×H×W kernel's order (top left, top right, bottom left, bottom right,
// strictly greater replaces, so ties go to the first) with the same −∞ start, so every lane finds
// the maximum and position the N×C×H×W kernel finds for its plane. The pooled values and positions
// are blocked like the input; padding lanes hold zeros.

enum BlockedMaxPoolKernels {
    /// The pooled shape of an N×C×H×W `shape` (a trailing odd row or column is not pooled).
    static func pooledShape(_ shape: [Int]) -> [Int] { [shape[0], shape[1], shape[2] / 2, shape[3] / 2] }

    /// The maxima of x's 2×2 windows into `values` and their flat positions (row · W + column in
    /// the input plane, as Floats) into `positions`, both blocked like x.
    static func forward(_ x: UnsafeMutablePointer<Float>, shape: [Int], block: Int,
                        values: UnsafeMutablePointer<Float>, positions: UnsafeMutablePointer<Float>) {
        let input = BlockedLanes(shape, block: block), output = BlockedLanes(pooledShape(shape), block: block)
        let width = shape[3], outHeight = shape[2] / 2, outWidth = shape[3] / 2
        Parallel.forEachChunk(input.batch * input.groups, minimumPerChunk: max(1, 4096 / max(1, input.plane))) { range in
            for item in range {
                let (image, group) = item.quotientAndRemainder(dividingBy: input.groups)
                let source = x + input.base(image, group)
                let maxima = values + output.base(image, group), argmax = positions + output.base(image, group)
                let padding = .!input.valid(group)
                for oh in 0..<outHeight {
                    for ow in 0..<outWidth {
                        let topLeft = 2 * oh * width + 2 * ow
                        var best = SIMD8<Float>(repeating: -.infinity), bestPosition = SIMD8<Float>(repeating: Float(topLeft))
                        @inline(__always) func consider(_ position: Int) {
                            let v = SIMD8<Float>.load(source + position * block)
                            let take = v .> best
                            best.replace(with: v, where: take)
                            bestPosition.replace(with: SIMD8(repeating: Float(position)), where: take)
                        }
                        consider(topLeft); consider(topLeft + 1); consider(topLeft + width); consider(topLeft + width + 1)
                        best.replace(with: 0, where: padding)
                        bestPosition.replace(with: 0, where: padding)
                        let o = (oh * outWidth + ow) * block
                        best.store(to: maxima + o)
                        bestPosition.store(to: argmax + o)
                    }
                }
            }
        }
    }

    /// ∂L/∂x (blocked, of x's `shape`) from ∂L/∂p and the positions of `forward`: each window's
    /// gradient at its maximum, zero elsewhere (and on a trailing odd row or column). Written as
    /// `0 + g`, the N×C×H×W scatter-add's sum, so a −0 gradient becomes +0 there as here.
    static func backward(_ g: UnsafeMutablePointer<Float>, positions: UnsafeMutablePointer<Float>, shape: [Int], block: Int,
                         into dx: UnsafeMutablePointer<Float>) {
        let input = BlockedLanes(shape, block: block), output = BlockedLanes(pooledShape(shape), block: block)
        let height = shape[2], width = shape[3], outHeight = height / 2, outWidth = width / 2
        Parallel.forEachChunk(input.batch * input.groups, minimumPerChunk: max(1, 4096 / max(1, input.plane))) { range in
            for item in range {
                let (image, group) = item.quotientAndRemainder(dividingBy: input.groups)
                let target = dx + input.base(image, group)
                let gradient = g + output.base(image, group), argmax = positions + output.base(image, group)
                for oh in 0..<outHeight {
                    for ow in 0..<outWidth {
                        let o = (oh * outWidth + ow) * block
                        let sum = SIMD8<Float>() + SIMD8<Float>.load(gradient + o), position = SIMD8<Float>.load(argmax + o)
                        @inline(__always) func write(_ p: Int) {
                            var v = SIMD8<Float>()
                            v.replace(with: sum, where: position .== SIMD8(repeating: Float(p)))
                            v.store(to: target + p * block)
                        }
                        let topLeft = 2 * oh * width + 2 * ow
                        write(topLeft); write(topLeft + 1); write(topLeft + width); write(topLeft + width + 1)
                    }
                    if width % 2 == 1 {
                        SIMD8<Float>().store(to: target + (2 * oh * width + width - 1) * block)
                        SIMD8<Float>().store(to: target + ((2 * oh + 1) * width + width - 1) * block)
                    }
                }
                if height % 2 == 1 {
                    for w in 0..<width { SIMD8<Float>().store(to: target + ((height - 1) * width + w) * block) }
                }
            }
        }
    }
}
