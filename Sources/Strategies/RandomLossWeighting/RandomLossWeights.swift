import Foundation

/// Random loss weighting (Lin, Ye, Xu, Shi & Zhang, "Reasonable Effectiveness of Random Weighting:
/// A Litmus Test for Multi-Task Learning", TMLR 2022), STRATEGIES.md §13d, LibMTL's variant:
/// each step draw `z ~ N(0, I_T)` and weight the losses by `w = softmax(z)`.
public enum RandomLossWeights {
    /// softmax(z), computed with the maximum subtracted.
    /// - Throws: `.tooFewTasks` for an empty z, `.invalidArgument` for non-finite draws.
    public static func weights(normalSample z: [Double]) throws -> [Double] {
        try MathValidation.taskCount(z.count, function: "RandomLossWeights.weights")
        guard z.allSatisfy({ $0.isFinite }) else {
            throw StrategyMathError.invalidArgument(function: "RandomLossWeights.weights", reason: "z must be finite")
        }
        let top = z.max()!
        let exponentials = z.map { exp($0 - top) }
        let total = exponentials.reduce(0, +)
        return exponentials.map { $0 / total }
    }

    /// T standard normal draws (Box-Muller on 53-bit uniforms), then their softmax.
    public static func drawWeights<Generator: RandomNumberGenerator>(taskCount: Int, using generator: inout Generator) throws -> [Double] {
        try weights(normalSample: (0..<taskCount).map { _ in standardNormal(using: &generator) })
    }

    /// One N(0, 1) draw by the Box-Muller transform.
    public static func standardNormal<Generator: RandomNumberGenerator>(using generator: inout Generator) -> Double {
        let u1 = (Double(generator.next() >> 11) + 1) * 0x1p-53   // (0, 1]
        let u2 = Double(generator.next() >> 11) * 0x1p-53
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
