import XCTest
import Foundation
@testable import TandemCore

/// First- and second-order finite-difference checks of every op (see `GradientCheck`).
final class OpGradientTests: XCTestCase {
    let check = GradientCheck()
    var g = SeededGenerator(seed: 7)

    func testBroadcastingArithmetic() {
        check.run("add", [random([2, 3, 4], &g), random([3, 1], &g)]) { $0[0] + $0[1] }
        check.run("subtract", [random([2, 3], &g), random([2, 3], &g)]) { $0[0] - $0[1] }
        check.run("multiply", [random([2, 3, 4], &g), random([1, 3, 1], &g)]) { $0[0] * $0[1] }
        check.run("divide", [random([2, 3], &g), positive([3], &g)]) { $0[0] / $0[1] }
        check.run("negate", [random([5], &g)]) { -$0[0] }
        check.run("scalars", [random([4], &g)]) { ($0[0] * 3 + 1) / 2 - 0.5 }
        check.run("reciprocal", [positive([4], &g)]) { reciprocal($0[0]) }
        check.run("broadcast", [random([3, 1], &g)]) { $0[0].broadcast(to: [2, 3, 4]) * $0[0].broadcast(to: [2, 3, 4]) }
        check.run("sumTo", [random([2, 3, 4], &g)]) { $0[0].sum(to: [1, 3, 1]) * $0[0].sum(to: [1, 3, 1]) }
    }

    func testUnaryFunctions() {
        check.run("exp", [random([6], &g, scale: 0.5)]) { exp($0[0]) }
        check.run("log", [positive([6], &g)]) { log($0[0]) }
        check.run("sqrt", [positive([6], &g)]) { sqrt($0[0]) }
        check.run("rsqrt", [positive([6], &g)]) { rsqrt($0[0]) }
        check.run("pow", [positive([6], &g)]) { pow($0[0], 2.5) }
        check.run("abs", [awayFromZero([6], generator: &g)]) { abs($0[0]) * $0[0] }
        check.run("clamp", [awayFromZero([8], generator: &g)]) { $0[0].clamped(minimum: -0.05, maximum: 0.05) + $0[0] * $0[0].clamped(minimum: -1.05, maximum: 1.05) }
        check.run("relu", [awayFromZero([8], generator: &g)]) { relu($0[0]) * $0[0] }
        check.run("sigmoid", [random([6], &g)]) { sigmoid($0[0]) }
        check.run("tanh", [random([6], &g)]) { tanh($0[0]) }
    }

    func testReductions() {
        check.run("sum", [random([2, 3], &g)]) { $0[0].sum() * $0[0].sum() }
        check.run("sumAxes", [random([2, 3, 4], &g)]) { $0[0].sum(axes: [0, 2]) * $0[0].sum(axes: [0, 2]) }
        check.run("mean", [random([2, 3, 4], &g)]) { $0[0].mean(axes: [1], keepingDimensions: true) * $0[0] }
        check.run("dot", [random([5], &g), random([5], &g)]) { dot($0[0], $0[1]) * dot($0[0], $0[0]) }
        check.run("norm", [random([5], &g)]) { $0[0].norm() }
    }

    func testMatrixProducts() {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = ta ? random([4, 3], &g) : random([3, 4], &g)
            let b = tb ? random([2, 4], &g) : random([4, 2], &g)
            check.run("matmul \(ta) \(tb)", [a, b]) { matmul($0[0], $0[1], transposeA: ta, transposeB: tb) * matmul($0[0], $0[1], transposeA: ta, transposeB: tb) }
        }
    }

    func testShaping() {
        check.run("reshape", [random([2, 6], &g)]) { $0[0].reshaped([3, 4]) * $0[0].reshaped([3, -1]) }
        check.run("permute", [random([2, 3, 4], &g)]) { $0[0].permuted([2, 0, 1]) * $0[0].permuted([2, 0, 1]) }
        check.run("slice", [random([3, 5], &g)]) { $0[0].slice(axis: 1, range: 1..<4) * $0[0].slice(axis: 1, range: 0..<3) }
        check.run("concat", [random([2, 3], &g), random([2, 2], &g)]) { concat([$0[0], $0[1]], axis: 1) * concat([$0[1], $0[0]], axis: 1) }
        check.run("pad", [random([2, 2], &g)]) { $0[0].padded(into: [2, 5], axis: 1, offset: 2) * $0[0].padded(into: [2, 5], axis: 1, offset: 1) }
    }

    func testSoftmaxFamily() {
        check.run("logSoftmax", [random([3, 4], &g)]) { logSoftmax($0[0], axis: 1) * logSoftmax($0[0], axis: 1) }
        check.run("softmax", [random([2, 3, 2, 2], &g)]) { softmax($0[0], axis: 1) }
    }

    /// On both convolution backends, whatever `TANDEM_CONVOLUTION` says: Tandem's im2col + GEMM
    /// (the reference path) and oneDNN's kernels (the default).
    func testConvolutions() {
        // Stride, padding and size edge cases; one input channel (Tandem's kernels for its
        // gradients on AVX2) and 48 output channels on a small plane (oneDNN's weight gradient cut
        // into runs of output channels).
        let cases: [(inputShape: [Int], outChannels: Int, kernel: Int, stride: Int, padding: Int)] = [
            ([2, 2, 5, 5], 3, 3, 1, 1), ([1, 3, 6, 5], 2, 3, 2, 0), ([2, 1, 5, 4], 2, 2, 2, 1), ([1, 2, 4, 4], 2, 1, 1, 0),
            ([2, 1, 6, 6], 3, 3, 1, 0), ([1, 2, 3, 3], 48, 3, 1, 1),
        ]
        for backend in ConvolutionBackend.allCases {
            ConvolutionBackend.using(backend) {
                for c in cases {
                    let x = random(c.inputShape, &g), w = random([c.outChannels, c.inputShape[1], c.kernel, c.kernel], &g, scale: 0.5)
                    check.run("conv2d \(c) on \(backend)", [x, w]) {
                        conv2d($0[0], weight: $0[1], stride: c.stride, padding: c.padding) * conv2d($0[0], weight: $0[1], stride: c.stride, padding: c.padding)
                    }
                }
                for (stride, padding, outputPadding) in [(2, 1, 1), (1, 0, 0), (2, 0, 1), (3, 1, 2)] {
                    let x = random([2, 3, 3, 4], &g), w = random([3, 2, 3, 3], &g, scale: 0.5)
                    check.run("transposedConv2d s\(stride) p\(padding) op\(outputPadding) on \(backend)", [x, w]) {
                        let y = transposedConv2d($0[0], weight: $0[1], stride: stride, padding: padding, outputPadding: outputPadding)
                        return y * y
                    }
                }
            }
        }
    }

    func testConvolutionsLargeEnoughForOneImagePerGEMM() {
        // O·plane·patch ≥ 4 M multiply-adds: on Tandem's kernels the one-image-per-GEMM path (no
        // reordering copies), on oneDNN's the parallel passes.
        // First order only: all three kernels (forward, input and weight gradient) run on this path
        // in the first-order check, and Float32 finite differences of second derivatives over
        // ~70,000-term sums are noise-dominated; second order is checked on the small cases above.
        let firstOrder = GradientCheck(secondOrder: false)
        let x = random([2, 16, 48, 48], &g, scale: 0.3), w = random([16, 16, 3, 3], &g, scale: 0.1)
        let small = random([2, 16, 24, 24], &g, scale: 0.3)
        for backend in ConvolutionBackend.allCases {
            ConvolutionBackend.using(backend) {
                firstOrder.run("conv2d one image per GEMM on \(backend)", [x, w]) { conv2d($0[0], weight: $0[1], padding: 1) }
                firstOrder.run("transposedConv2d one image per GEMM on \(backend)", [small, w]) {
                    transposedConv2d($0[0], weight: $0[1], stride: 2, padding: 1, outputPadding: 1)
                }
            }
        }
    }

    func testTransposedConvolutionShapesMatchPyTorch() {
        let y = transposedConv2d(Tensor.zeros([1, 4, 8, 12]), weight: Tensor.zeros([4, 2, 3, 3]), stride: 2, padding: 1, outputPadding: 1)
        XCTAssertEqual(y.shape, [1, 2, 16, 24])
    }

    func testBatchNorm() {
        let x = random([4, 3, 2, 2], &g), scale = positive([3], &g), shift = random([3], &g)
        check.run("batchNorm train", [x, scale, shift]) { batchNorm($0[0], scale: $0[1], shift: $0[2]).output * $0[0] }
        let mean = random([3], &g), variance = positive([3], &g)
        check.run("batchNorm eval", [x, scale, shift]) { batchNorm($0[0], scale: $0[1], shift: $0[2], runningMean: mean, runningVariance: variance) * $0[0] }
    }

    func testPoolingAndUpsampling() {
        check.run("maxPool2d", [random([2, 2, 4, 6], &g)]) { maxPool2d($0[0], size: 2) * maxPool2d($0[0], size: 2) }
        check.run("maxPool2d 3/2", [random([1, 2, 7, 5], &g)]) { maxPool2d($0[0], size: 3, stride: 2) }
        check.run("maxPool2d 3/2 padded", [random([1, 2, 7, 6], &g)]) { maxPool2d($0[0], size: 3, stride: 2, padding: 1) }
        let pooled = maxPool2dWithIndices(random([2, 3, 4, 6], &g), size: 2)
        check.run("maxUnpool2d", [random([2, 3, 2, 3], &g)]) {
            maxUnpool2d($0[0], indices: pooled.indices, height: 4, width: 6) * maxUnpool2d($0[0], indices: pooled.indices, height: 4, width: 6)
        }
        check.run("upsampleNearest", [random([1, 2, 2, 3], &g)]) { upsampleNearest($0[0], factor: 2) * upsampleNearest($0[0], factor: 2) }
        check.run("blockSum", [random([1, 2, 4, 4], &g)]) { blockSum($0[0], factor: 2) * blockSum($0[0], factor: 2) }
        check.run("upsampleBilinear", [random([1, 2, 3, 3], &g)]) { upsampleBilinear($0[0], height: 7, width: 5) * upsampleBilinear($0[0], height: 7, width: 5) }
        check.run("upsampleBilinear aligned", [random([1, 1, 3, 4], &g)]) { upsampleBilinear($0[0], height: 6, width: 8, alignCorners: true) }
    }

    func testLosses() {
        // Segmentation-shaped cross-entropy with ignored pixels.
        let labels = Tensor(shape: [2, 2, 3], scalars: [0, 2, -1, 1, 1, 0, -1, -1, 2, 0, 1, 2])
        check.run("crossEntropy", [random([2, 3, 2, 3], &g)]) { crossEntropy(logits: $0[0], labels: labels) }
        let classLabels = Tensor(shape: [4], scalars: [1, 0, 3, 2])
        check.run("crossEntropy N×C", [random([4, 4], &g)]) { crossEntropy(logits: $0[0], labels: classLabels) }
        let target = Tensor(shape: [2, 1, 2, 2], scalars: [1, 0, 2, 3, 0, 0, 1.5, 2])
        let mask = nonZeroMask(target)
        check.run("maskedL1", [awayFromZero([2, 1, 2, 2], generator: &g)]) { maskedL1(prediction: $0[0], target: target * 10, mask: mask) }
        let normals = Tensor(shape: [1, 3, 1, 3], scalars: [1, 0, 0, 0, 1, 0, 0, 0, 0])
        check.run("cosineLoss", [random([1, 3, 1, 3], &g)]) { cosineLoss(prediction: $0[0], target: normals, mask: nonZeroMask(normals)) }
        check.run("pickClass/placeClass", [random([2, 3, 2, 3], &g)]) { pickClass($0[0], labels: labels) * pickClass($0[0], labels: labels) }
    }

    func testLossValues() {
        let labels = Tensor(shape: [2], scalars: [0, -1])
        let logits = Tensor(shape: [2, 2], scalars: [0, 0, 5, 1])
        XCTAssertEqual(crossEntropy(logits: logits, labels: labels).scalar, Float(log(2.0)), accuracy: 1e-6)
        let none = Tensor(shape: [2], scalars: [-1, -1])
        XCTAssertEqual(crossEntropy(logits: logits, labels: none).scalar, 0)
        let target = Tensor(shape: [1, 1, 1, 3], scalars: [1, 0, 3])
        let prediction = Tensor(shape: [1, 1, 1, 3], scalars: [2, 9, 1])
        XCTAssertEqual(maskedL1(prediction: prediction, target: target, mask: nonZeroMask(target)).scalar, 1.5, accuracy: 1e-6)
    }
}

/// The checker itself must catch wrong rules, or the tests above prove nothing.
final class GradientCheckSelfTests: XCTestCase {
    /// tanh with a deliberately wrong first derivative (1 − t instead of 1 − t²).
    func wrongTanh(_ x: Tensor) -> Tensor {
        let storage = ElementwiseKernels.map(x) { Foundation.tanh($0) }
        return Tape.record("wrongTanh", shape: x.shape, storage: storage, inputs: [x], saved: [x]) { g, saved, _ in
            [g * (1 - tanh(saved[0]))]
        }
    }

    /// square with a correct first derivative whose own derivative is wrong (a constant 2x).
    func wrongSecondOrderSquare(_ x: Tensor) -> Tensor {
        let storage = ElementwiseKernels.map(x) { $0 * $0 }
        return Tape.record("wrongSquare", shape: x.shape, storage: storage, inputs: [x], saved: [x]) { g, saved, _ in
            [g * (saved[0].detached * 2)]
        }
    }

    func testCatchesWrongFirstDerivative() {
        var g = SeededGenerator(seed: 1)
        let problems = GradientCheck().mismatches("wrongTanh", [random([5], &g)]) { self.wrongTanh($0[0]) }
        XCTAssertFalse(problems.isEmpty)
    }

    func testCatchesWrongSecondDerivative() {
        var g = SeededGenerator(seed: 2)
        let problems = GradientCheck().mismatches("wrongSquare", [random([5], &g)]) { self.wrongSecondOrderSquare($0[0]) }
        XCTAssertEqual(problems.count, 1)
        XCTAssertTrue(problems.first?.contains("∂²") ?? false)
    }
}

final class BatchNormFusionTests: XCTestCase {
    func testFusedOpEqualsTheComposedOne() {
        var g = SeededGenerator(seed: 21)
        for shape in [[4, 3, 5, 6], [6, 5]] {
            let x = random(shape, &g), scale = positive([shape[1]], &g), shift = random([shape[1]], &g)
            let cotangent = random(shape, &g)
            let (fusedValue, fused) = valueAndGrad(at: [x, scale, shift]) { dot(batchNorm($0[0], scale: $0[1], shift: $0[2]).output, cotangent) }
            let (composedValue, composed) = valueAndGrad(at: [x, scale, shift]) { dot(composedBatchNorm($0[0], scale: $0[1], shift: $0[2], epsilon: 1e-5), cotangent) }
            XCTAssertEqual(fusedValue.scalar, composedValue.scalar, accuracy: 1e-3)
            for (a, b) in zip(fused, composed) {
                for (u, v) in zip(a.scalars, b.scalars) { XCTAssertEqual(u, v, accuracy: 1e-4 * max(1, abs(v))) }
            }
        }
    }
}
