import Foundation
import TandemCore

// Core ops (issue 2). Each invocation measures one shape and prints one JSON line; the peer
// benchmarks/peer/core.py takes the same words and measures the same computation in PyTorch.
//
//   tandem-bench core sgemm m=512 n=512 k=512
//   tandem-bench core conv batch=8 in=64 out=64 height=64 width=96 kernel=3 stride=1 padding=1 pass=both
//   tandem-bench core convtranspose batch=8 in=128 out=64 height=16 width=24 kernel=3 stride=2 padding=1 output_padding=1
//
// `pass=forward` times the forward only; `pass=both` (default) times forward + backward with the
// gradients of both the input and the weight, for a fixed random cotangent of the output — what
// PyTorch's `y.backward(cotangent)` computes when input and weight both require gradients.
// `pass=input` / `pass=weight` time forward + only that one gradient (for profiling).

func runCoreBenchmark(_ arguments: [String]) {
    let options = BenchmarkOptions(arguments)
    guard let op = options.positional.first else { fail("core: name an op: sgemm, conv or convtranspose") }
    var generator = SeededGenerator(seed: UInt64(options.int("seed", 1)))
    let policy = options.policy

    switch op {
    case "sgemm":
        let m = options.int("m", 512), n = options.int("n", m), k = options.int("k", m)
        let a = Tensor.randomNormal([m, k], generator: &generator)
        let b = Tensor.randomNormal([k, n], generator: &generator)
        let timing = measure(policy) { _ = matmul(a, b) }
        report(["op": op, "shape": "\(m)x\(n)x\(k)", "flops": 2.0 * Double(m) * Double(n) * Double(k)], timing)

    case "conv", "convtranspose":
        let batch = options.int("batch", 8), inputChannels = options.int("in", 64), outputChannels = options.int("out", 64)
        let height = options.int("height", 32), width = options.int("width", 32), kernel = options.int("kernel", 3)
        let stride = options.int("stride", 1), padding = options.int("padding", 0)
        let outputPadding = options.int("output_padding", 0)
        let pass = options.string("pass", "both")
        guard ["both", "forward", "input", "weight"].contains(pass) else { fail("core: pass must be both, forward, input or weight") }
        let transposed = op == "convtranspose"

        let x = Tensor.randomNormal([batch, inputChannels, height, width], generator: &generator)
        let bound = 1 / Float(inputChannels * kernel * kernel).squareRoot()
        let weightShape = transposed ? [inputChannels, outputChannels, kernel, kernel]
                                     : [outputChannels, inputChannels, kernel, kernel]
        let w = Tensor.randomUniform(weightShape, low: -bound, high: bound, generator: &generator)
        func apply(_ x: Tensor, _ w: Tensor) -> Tensor {
            transposed ? transposedConv2d(x, weight: w, stride: stride, padding: padding, outputPadding: outputPadding)
                       : conv2d(x, weight: w, stride: stride, padding: padding)
        }
        let outputShape = Tape.withoutRecording { apply(x, w).shape }
        let cotangent = Tensor.randomNormal(outputShape, generator: &generator)

        let timing: TimingSummary
        if pass == "forward" {
            timing = Tape.withoutRecording { measure(policy) { _ = apply(x, w) } }
        } else {
            timing = measure(policy) {
                let (xt, wt) = (pass == "weight" ? x : x.tracked(), pass == "input" ? w : w.tracked())
                let y = apply(xt, wt)
                let wrt = pass == "both" ? [xt, wt] : pass == "input" ? [xt] : [wt]
                let gradients = grad(of: y, wrt: wrt, seed: cotangent)
                precondition(gradients.count == wrt.count && gradients[0].shape == wrt[0].shape)
            }
        }
        // Multiply-adds of one forward pass; forward + backward does three such products.
        let spatial = transposed ? batch * height * width : batch * outputShape[2] * outputShape[3]
        let macs = Double(spatial) * Double(inputChannels * outputChannels * kernel * kernel)
        let shape = "N\(batch) \(inputChannels)->\(outputChannels) k\(kernel) s\(stride) p\(padding)"
            + (transposed ? " op\(outputPadding)" : "") + " \(height)x\(width)->\(outputShape[2])x\(outputShape[3])"
        report(["op": op, "pass": pass, "shape": shape, "flops": 2 * macs * (pass == "both" ? 3 : pass == "forward" ? 1 : 2)], timing)

    default:
        fail("core: unknown op \(op); use sgemm, conv or convtranspose")
    }
}
