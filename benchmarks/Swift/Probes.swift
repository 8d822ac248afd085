import Foundation
import TandemCore

// Probes: measurements behind the optimisation suggestions in benchmarks/README.md ("where the
// time goes"). Not part of the comparison tables; no peer.
//
//   tandem-bench probe flipped-input-gradient batch=8 in=64 out=64 height=64 width=96 kernel=3 padding=1
//
// flipped-input-gradient: for a stride-1 convolution, the input gradient dx = convᵀ(dy, w) that
// Tandem computes as GEMM into a column buffer + col2im can also be computed as an ordinary
// convolution of dy with the flipped, channel-swapped weight (w'[c, o, i, j] = w[o, c, k−1−i, k−1−j],
// padding k−1−p): im2col + GEMM, no col2im, and a GEMM with a long inner dimension (O·k·k instead
// of O). Prints the time of both ways and their largest difference.
//
//   tandem-bench probe batch-norm batch=8 channels=32 height=64 width=96
//
// batch-norm: training-mode batch norm, forward and forward + backward, with Tandem's kernels (on
// N×C×H×W) and with oneDNN's batch-normalization primitive on N×C×H×W and on its blocked nChw{b}c
// (b = 8 where oneDNN runs AVX2, as under `portable`; 16 on AVX-512), and whether oneDNN's outputs
// (y, mean, variance, ∂L/∂x, ∂L/∂γ, ∂L/∂β) are the same bits on 1, 2, 3 and 4 OpenMP threads (Tandem's
// are, by construction). Implementation names are oneDNN's; the timed runs use Tandem's thread count.

func runProbe(_ arguments: [String]) {
    let options = BenchmarkOptions(arguments)
    switch options.positional.first {
    case "flipped-input-gradient": runFlippedInputGradientProbe(options)
    case "batch-norm": runBatchNormProbe(options)
    default: fail("probe: known probes: flipped-input-gradient, batch-norm")
    }
}

func runFlippedInputGradientProbe(_ options: BenchmarkOptions) {
    var generator = SeededGenerator(seed: UInt64(options.int("seed", 1)))
    let policy = options.policy
    let batch = options.int("batch", 8), inputChannels = options.int("in", 64), outputChannels = options.int("out", 64)
    let height = options.int("height", 32), width = options.int("width", 32), kernel = options.int("kernel", 3)
    let padding = options.int("padding", 1)

    let w = Tensor.randomNormal([outputChannels, inputChannels, kernel, kernel], generator: &generator)
    let outputHeight = height + 2 * padding - kernel + 1, outputWidth = width + 2 * padding - kernel + 1
    let dy = Tensor.randomNormal([batch, outputChannels, outputHeight, outputWidth], generator: &generator)
    let flipped = Tensor(shape: [inputChannels, outputChannels, kernel, kernel]) { target in
        w.withUnsafeBufferPointer { source in
            for o in 0..<outputChannels {
                for c in 0..<inputChannels {
                    for i in 0..<kernel {
                        for j in 0..<kernel {
                            target[((c * outputChannels + o) * kernel + i) * kernel + j] =
                                source[((o * inputChannels + c) * kernel + (kernel - 1 - i)) * kernel + (kernel - 1 - j)]
                        }
                    }
                }
            }
        }
    }
    Tape.withoutRecording {
        let current = transposedConv2d(dy, weight: w, stride: 1, padding: padding)
        let alternative = conv2d(dy, weight: flipped, stride: 1, padding: kernel - 1 - padding)
        precondition(current.shape == alternative.shape, "shapes differ: \(current.shape) vs \(alternative.shape)")
        let difference = abs(current - alternative).scalars.max() ?? 0
        let scale = abs(current).scalars.max() ?? 1
        let shape = "N\(batch) \(inputChannels)->\(outputChannels) k\(kernel) p\(padding) \(height)x\(width)"
        let timingCurrent = measure(policy) { _ = transposedConv2d(dy, weight: w, stride: 1, padding: padding) }
        report(["probe": "input gradient via GEMM + col2im (current)", "shape": shape], timingCurrent)
        let timingAlternative = measure(policy) { _ = conv2d(dy, weight: flipped, stride: 1, padding: kernel - 1 - padding) }
        report(["probe": "input gradient via flipped-weight convolution", "shape": shape,
                "max_abs_difference": Double(difference), "max_abs_value": Double(scale)], timingAlternative)
    }
}
