import XCTest
@testable import TandemCore

/// Finite-difference checks of first and second derivatives.
///
/// For an op f and inputs x, with a fixed random cotangent w, the scalar s(x) = Σ f(x)·w.
/// * First order: ∂s/∂x from the tape against central differences of s, element by element
///   (up to `maximumElements` per input) and along one random direction.
/// * Second order: with a random direction v, h(x) = ⟨∇s(x), v⟩ built with `createGraph`;
///   ∇h from the tape against central differences of h.
///
/// Everything is Float32, so differences use ε = 3·10⁻³ and the tolerance is
/// |analytic − numeric| ≤ `tolerance` · max(1, |numeric|) with `tolerance` = 2·10⁻² by default
/// (truncation O(ε²) plus Float32 rounding of s, amplified by 1/ε).
struct GradientCheck {
    var epsilon: Float = 3e-3
    var tolerance: Float = 2e-2
    var maximumElements = 24
    var secondOrder = true

    func run(_ name: String, _ inputs: [Tensor], file: StaticString = #filePath, line: UInt = #line,
             _ function: @escaping ([Tensor]) -> Tensor) {
        for problem in mismatches(name, inputs, function) { XCTFail(problem, file: file, line: line) }
    }

    /// Every disagreement between the tape and finite differences (first one per input and order).
    func mismatches(_ name: String, _ inputs: [Tensor], _ function: @escaping ([Tensor]) -> Tensor) -> [String] {
        var problems: [String] = []
        var generator = SeededGenerator(seed: 99)
        let probe = Tape.withoutRecording { function(inputs) }
        let cotangent = Tensor.randomNormal(probe.shape, generator: &generator)
        let scalar: ([Tensor]) -> Tensor = { dot(function($0), cotangent) }

        // First order.
        let (_, analytic) = valueAndGrad(at: inputs, scalar)
        for (index, input) in inputs.enumerated() {
            let numeric = numericGradient(of: { scalar($0).scalar }, inputs: inputs, index: index, generator: &generator)
            problems += compare(analytic[index], numeric, what: "\(name) ∂/∂input\(index)")
        }

        guard secondOrder else { return problems }
        let directions = inputs.map { Tensor.randomNormal($0.shape, generator: &generator) }
        let secondScalar: ([Tensor]) -> Tensor = { xs in
            let tracked = xs.map { $0.isTracked ? $0 : $0.tracked() }
            let gradients = grad(of: scalar(tracked), wrt: tracked, createGraph: true)
            return zip(gradients, directions).map { dot($0, $1) }.reduce(Tensor(0), +)
        }
        let (_, analyticSecond) = valueAndGrad(at: inputs, secondScalar)
        for (index, _) in inputs.enumerated() {
            let numeric = numericGradient(of: { secondScalar($0).scalar }, inputs: inputs, index: index, generator: &generator)
            problems += compare(analyticSecond[index], numeric, what: "\(name) ∂²/∂input\(index)")
        }
        return problems
    }

    /// Central differences at up to `maximumElements` positions; other positions are NaN (skipped).
    private func numericGradient(of f: ([Tensor]) -> Float, inputs: [Tensor], index: Int,
                                 generator: inout SeededGenerator) -> [Float] {
        let x = inputs[index]
        var values = x.scalars
        var result = [Float](repeating: .nan, count: x.count)
        var positions = Array(0..<x.count)
        if positions.count > maximumElements { positions.shuffle(using: &generator); positions = Array(positions.prefix(maximumElements)) }
        for position in positions {
            let original = values[position]
            let step = epsilon * max(1, Swift.abs(original))
            func evaluate(_ value: Float) -> Float {
                values[position] = value
                var perturbed = inputs
                perturbed[index] = Tensor(shape: x.shape, scalars: values)
                return f(perturbed)
            }
            // f may itself differentiate (second order), so it must be able to record.
            let plus = Tape.withRecording(true) { evaluate(original + step) }
            let minus = Tape.withRecording(true) { evaluate(original - step) }
            values[position] = original
            result[position] = (plus - minus) / (2 * step)
        }
        return result
    }

    private func compare(_ analytic: Tensor, _ numeric: [Float], what: String) -> [String] {
        let a = analytic.scalars
        for (i, n) in numeric.enumerated() where !n.isNaN {
            let allowed = tolerance * max(1, Swift.abs(n))
            if !(Swift.abs(a[i] - n) <= allowed) {
                return ["\(what)[\(i)]: tape \(a[i]) vs finite differences \(n)"]
            }
        }
        return []
    }
}

/// Random inputs kept at least `margin` away from zero (for ops with a kink at 0).
func awayFromZero(_ shape: [Int], margin: Float = 0.1, generator: inout SeededGenerator) -> Tensor {
    Tensor(shape: shape, scalars: (0..<Shape.count(shape)).map { _ in
        let v = generator.nextNormal()
        return v >= 0 ? v + margin : v - margin
    })
}

func random(_ shape: [Int], _ generator: inout SeededGenerator, scale: Float = 1) -> Tensor {
    Tensor.randomNormal(shape, standardDeviation: scale, generator: &generator)
}

/// `x`'s values held in the convolution kernels' channel-blocked layout, `block` channels per block.
func heldBlocked(_ x: Tensor, _ block: Int) -> Tensor {
    Tensor(shape: x.shape, storage: x.storage(in: .blocked(block)), format: .blocked(block))
}

func positive(_ shape: [Int], _ generator: inout SeededGenerator) -> Tensor {
    Tensor.randomUniform(shape, low: 0.5, high: 2, generator: &generator)
}
