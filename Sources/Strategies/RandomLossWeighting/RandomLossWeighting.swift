import Foundation
import TandemCore

/// Random loss weighting, RLW (Lin, Ye, Xu, Shi & Zhang, "Reasonable Effectiveness of Random
/// Weighting: A Litmus Test for Multi-Task Learning", TMLR 2022), STRATEGIES.md §13d: each step
/// draws λ̃ from a distribution and weights the losses by `w = softmax(λ̃)`.
public final class RandomLossWeighting: LossWeighting, RegisteredStrategy {
    public enum Distribution: String, CaseIterable, Sendable {
        case normal, uniform, dirichlet
    }

    public static let description = StrategyDescription(
        name: "rlw", title: "RLW (random loss weighting)",
        formula: "λ̃ ~ N(0, I) | U(0, 1)^T | Dir(1); w = softmax(λ̃); L = Σ_t w_t L_t",
        paper: "Lin, Ye, Xu, Shi & Zhang, \"Reasonable Effectiveness of Random Weighting: A Litmus Test for Multi-Task Learning\", TMLR 2022",
        options: [
            OptionSpec("distribution", .choice(Distribution.allCases.map(\.rawValue)), default: .text("normal"),
                       "the draw λ̃: standard normal (LibMTL's default), uniform on [0, 1) or Dirichlet(1)"),
        ],
        cost: "as EW",
        conventions: ["the draw is softmaxed for all three distributions, as LibMTL (the authors' code) does",
                      "one seeded draw per step; the generator is checkpointed"],
        behaviour: StrategyBehaviour(orderInvariant: false, isRandomised: true))

    public let distribution: Distribution
    public private(set) var generator: SeededGenerator

    public init(distribution: Distribution = .normal, seed: UInt64 = 0) {
        self.distribution = distribution
        generator = SeededGenerator(seed: seed)
    }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        self.init(distribution: Distribution(rawValue: options.text("distribution")!)!, seed: context.seed)
    }

    /// One draw λ̃ for `taskCount` tasks.
    public static func draw<G: RandomNumberGenerator>(_ distribution: Distribution, taskCount: Int, using generator: inout G) -> [Double] {
        switch distribution {
        case .normal:
            return (0..<taskCount).map { _ in RandomLossWeights.standardNormal(using: &generator) }
        case .uniform:
            return (0..<taskCount).map { _ in Double(generator.next() >> 11) * 0x1p-53 }
        case .dirichlet:
            // Dir(1): normalised Exp(1) draws.
            let e = (0..<taskCount).map { _ in -Foundation.log((Double(generator.next() >> 11) + 1) * 0x1p-53) }
            let total = e.reduce(0, +)
            return e.map { $0 / total }
        }
    }

    public func lossWeights(_ context: StepContext) throws -> [String: Float] {
        let names = context.taskNames
        let w = try RandomLossWeights.weights(normalSample: RandomLossWeighting.draw(distribution, taskCount: names.count, using: &generator))
        for (name, value) in zip(names, w) { context.report("weight.\(name)", value) }
        return Dictionary(uniqueKeysWithValues: zip(names, w.map(Float.init)))
    }

    public func saveState() -> StrategyState { StrategyState(words: ["generator": generator.state]) }
    public func restoreState(_ state: StrategyState) throws { generator = try state.generator("generator") }
}
