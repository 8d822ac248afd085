import Foundation
import TandemCore

/// IT-MTL, "increased transfer" (Fifty, Amid, Zhao, Yu, Anil & Finn, "Measuring and Harnessing
/// Transference in Multi-Task Learning", 2020/21), STRATEGIES.md §10, composed on any strategy.
///
/// At each step a set J of candidate updates ξ for the shared parameters θ_s is built from the
/// per-task gradients g_t = ∇_{θ_s} L_t and the inner strategy (which weights the losses and/or
/// supplies a candidate): subsets g_ξ = Σ_{t∈ξ} w_t g_t with the inner weights w_t, or the inner
/// strategy's own update. The candidate with the largest total transference is applied:
/// * **exact** (Algorithm 1): the heads first take their real step θ_j⁺ (option `unchanged` keeps
///   θ_j), θ_s^{+|ξ} is the real optimiser's step on g_ξ from its current state (read, never
///   written), and `Z_ξ = Σ_j (1 − L_j(X; θ_s^{+|ξ}, θ_j⁺) / L_j(X; θ_s, θ_j))` on the same batch,
///   with batch-norm statistics untouched — |J| extra forward passes;
/// * **first order** (no extra forwards): Taylor's `Z_ξ ≈ η g_ξ·Σ_j g_j/L_j`, so the candidate
///   with the largest inner product with the gradient of log Π_j L_j (or its cosine) is applied.
/// The heads and the inner strategy's own parameters are trained by the inner decoder stage.
/// Each step reports `it.Z.NAME` (or `it.firstOrder.NAME`) for every candidate and
/// `it.chosen.NAME` (1 for the applied one, 0 otherwise). With a single candidate there is nothing
/// to choose: the inner strategy's update (or the subset's loss weights) passes through untouched.
public final class IncreasedTransfer: RegisteredStrategy, WrappingEncoderStage {
    public enum Lookahead: String, CaseIterable, Sendable { case exact, firstOrder = "first-order" }
    public enum HeadsDuringLookahead: String, CaseIterable, Sendable { case updatedFirst = "updated-first", unchanged }
    public enum FirstOrderScore: String, CaseIterable, Sendable { case innerProduct = "inner-product", cosine }

    public static let description = StrategyDescription(
        name: "it", title: "IT-MTL (increased transfer), on any inner strategy",
        formula: "ξ* = argmax_{ξ∈J} Z_ξ, Z_ξ = Σ_j (1 − L_j(θ_s^{+|ξ}, θ_j⁺)/L_j(θ_s, θ_j)) (exact lookahead) or g_ξ·Σ_j g_j/L_j (first order); apply g_ξ*",
        paper: "Fifty, Amid, Zhao, Yu, Anil & Finn, \"Measuring and Harnessing Transference in Multi-Task Learning\", 2020/21 (arXiv 2010.15413)",
        options: [
            OptionSpec("inner", .strategy, default: .strategy(name: "ew", options: [:]),
                       "the strategy that weights the losses (subset candidates use its weights) and trains the heads; its update is a candidate with total-and-inner"),
            OptionSpec("candidates", .choice(["leave-one-out", "total-and-inner", "subsets"]), default: .text("leave-one-out"),
                       "leave-one-out: all tasks and each 𝒯∖{i} (the paper's default); total-and-inner: {Σ_t w_t g_t, the inner update} (IT-PCGrad); subsets: the `subsets` list"),
            OptionSpec("subsets", .list(.list(.task)), default: nil,
                       "with candidates: subsets, the task subsets to choose from, e.g. [[segmentation, depth], [segmentation, normals], [depth, normals], [segmentation, depth, normals]]; none listed: every non-empty subset"),
            OptionSpec("include_inner", .boolean, default: .boolean(false), "also offer the inner strategy's update (implied by total-and-inner)"),
            OptionSpec("lookahead", .choice(Lookahead.allCases.map(\.rawValue)), default: .text("exact"),
                       "exact: |J| lookahead forward passes through the real optimiser (Algorithm 1); first-order: Taylor approximation, no extra forwards"),
            OptionSpec("heads", .choice(HeadsDuringLookahead.allCases.map(\.rawValue)), default: .text("updated-first"),
                       "exact lookahead: the heads take their real step first (Algorithm 1) or stay unchanged"),
            OptionSpec("score", .choice(FirstOrderScore.allCases.map(\.rawValue)), default: .text("inner-product"),
                       "first order: inner product with Σ_j g_j/L_j (the Taylor argument) or its cosine"),
        ],
        cost: "T encoder backwards (per-task gradients at θ_s) plus, exact, |J| forward passes without a graph (|J| = T + 1 by default); first order: O(|J|·P)",
        conventions: ["heads are updated first in the exact lookahead (the paper's Algorithm 1); `heads: unchanged` as an option",
                      "subset candidates sum the inner strategy's weighted task gradients (its loss weights, else its decoder weights)",
                      "ties go to the first candidate (all tasks first); with one candidate the inner update passes through untouched",
                      "each step reports it.Z.NAME (or it.firstOrder.NAME) for every candidate and it.chosen.NAME"],
        behaviour: StrategyBehaviour())

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        let inner = try context.nestedStrategy(options.strategy("inner"), owner: "it.inner")
        let includingInner = options.boolean("include_inner")!
        let names = context.tasks.map(\.name)
        let subsets = options.list("subsets")?.map { subset -> [String] in
            guard case let .list(items) = subset else { return [] }
            return items.map(\.description)
        }
        let candidates: TransferenceCandidateSet
        switch options.text("candidates")! {
        case "subsets":
            // No list: every non-empty subset of the tasks (2^T − 1 candidates).
            let chosen = subsets ?? (1..<(1 << names.count)).map { mask in names.indices.filter { mask & (1 << $0) != 0 }.map { names[$0] } }
            guard !chosen.isEmpty, chosen.allSatisfy({ !$0.isEmpty }) else { throw OptionError("it.subsets must list non-empty task lists") }
            let unknown = TransferenceCandidateSet.subsets(chosen, includingInner: false).unknownTasks(among: names)
            guard unknown.isEmpty else { throw OptionError("it.subsets names tasks that are not in the run: \(unknown)") }
            candidates = .subsets(chosen, includingInner: includingInner)
        case "total-and-inner":
            guard subsets == nil else { throw OptionError("it: `subsets:` needs `candidates: subsets` (found candidates: total-and-inner)") }
            candidates = .totalAndInner
        default:
            guard subsets == nil else { throw OptionError("it: `subsets:` needs `candidates: subsets` (found candidates: leave-one-out)") }
            candidates = includingInner
                ? .subsets([names] + (names.count > 1 ? names.map { left in names.filter { $0 != left } } : []), includingInner: true)
                : .leaveOneOutAndAll
        }
        self.init(inner: inner, candidates: candidates, lookahead: Lookahead(rawValue: options.text("lookahead")!)!,
                  heads: HeadsDuringLookahead(rawValue: options.text("heads")!)!, firstOrderScore: FirstOrderScore(rawValue: options.text("score")!)!)
    }

    public let name: String
    public let inner: any GradientCombiner
    public let candidates: TransferenceCandidateSet
    public let lookahead: Lookahead
    public let heads: HeadsDuringLookahead
    public let firstOrderScore: FirstOrderScore
    public var decoder: any DecoderStage { inner.decoder }
    public var encoder: any EncoderStage { self }

    public init(inner: any GradientCombiner, candidates: TransferenceCandidateSet = .leaveOneOutAndAll, lookahead: Lookahead = .exact,
                heads: HeadsDuringLookahead = .updatedFirst, firstOrderScore: FirstOrderScore = .innerProduct, name: String? = nil) {
        self.inner = inner
        self.candidates = candidates
        self.lookahead = lookahead
        self.heads = heads
        self.firstOrderScore = firstOrderScore
        self.name = name ?? "it-\(inner.name)"
    }

    public var requirements: CombinerRequirements {
        var result = inner.declaredRequirements.union(.sharedParameterGradients)
        if lookahead == .exact { result.formUnion(.extraForwardPasses) }
        return result
    }

    public func encoderGradient(_ context: StepContext) throws -> EncoderGradient {
        let names = context.taskNames
        let innerGradient = try inner.encoder.encoderGradient(context)
        let baseWeights: [String: Float]
        if case let .lossWeights(weights) = innerGradient { baseWeights = weights } else { baseWeights = context.decoderWeights }
        let members = candidates.members(tasks: names, innerName: inner.name)
        guard members.count > 1 else {
            // Nothing to choose: pass the single candidate through without any extra work.
            switch members.first {
            case let .subset(_, tasks)?:
                return .lossWeights(Dictionary(uniqueKeysWithValues: names.map { ($0, tasks.contains($0) ? baseWeights[$0] ?? 0 : 0) }))
            case .inner?, nil:
                return innerGradient
            }
        }

        // Candidate directions from the per-task gradients at θ_s.
        let perTask = try context.sharedParameterGradients()
        let template = perTask[names[0]]!
        let matrix = try TaskGradientMatrix(rows: names.map { perTask[$0]!.flattened().scalars })
        func parameters(_ flat: [Float]) -> Parameters { Parameters(unflattening: Tensor(shape: [flat.count], scalars: flat), like: template) }
        let directions: [[Float]] = try members.map { member in
            switch member {
            case let .subset(_, tasks):
                return try matrix.combine(weights: names.map { tasks.contains($0) ? Double(baseWeights[$0] ?? 0) : 0 })
            case .inner:
                switch innerGradient {
                case let .lossWeights(weights): return try matrix.combine(weights: names.map { Double(weights[$0] ?? 0) })
                case let .representation(h): return try context.encoderVectorJacobianProduct(h).flattened().scalars
                case let .sharedParameters(g): return g.flattened().scalars
                case .parameters:
                    throw StrategyContractError(strategy: name, problem: "the inner strategy trains heads itself (e.g. TMT's meta step); IT cannot use its step as a candidate")
                }
            }
        }

        let scores: [Double]
        switch lookahead {
        case .exact: scores = try exactScores(directions.map(parameters), context: context)
        case .firstOrder: scores = try firstOrderScores(directions, matrix: matrix, context: context)
        }
        let chosen = try TransferenceScore.bestIndex(scores: scores)
        let key = lookahead == .exact ? "it.Z." : "it.firstOrder."
        for (index, member) in members.enumerated() {
            context.report(key + member.name, scores[index])
            context.report("it.chosen." + member.name, index == chosen ? 1 : 0)
        }
        if case .inner = members[chosen], case .sharedParameters = innerGradient { return innerGradient }
        return .sharedParameters(parameters(directions[chosen]))
    }

    /// Z_ξ for each candidate direction from lookahead forward passes on this step's batch.
    func exactScores(_ directions: [Parameters], context: StepContext) throws -> [Double] {
        let names = context.taskNames
        let before = names.map { Double(context.losses[$0]!) }
        var updatedHeads = Parameters()
        if heads == .updatedFirst {
            let raw = try context.headGradients()
            var weighted = Parameters()
            for name in names {
                if let gradient = raw[name] { weighted = weighted.merging(gradient * (context.decoderWeights[name] ?? 0)) }
            }
            if !weighted.isEmpty { updatedHeads = context.simulatedStep(gradients: weighted) }
        }
        return try directions.map { direction in
            let shared = context.simulatedStep(gradients: direction)
            let after = try Tape.withoutRecording { try context.losses(at: shared.merging(updatedHeads)) }
            return try TransferenceScore.totalTransference(lossesBefore: before, lossesAfter: names.map { Double(after[$0]!.scalar) })
        }
    }

    /// g_ξ·Σ_j g_j/L_j (or the cosine) for each candidate direction.
    func firstOrderScores(_ directions: [[Float]], matrix: TaskGradientMatrix, context: StepContext) throws -> [Double] {
        let losses = context.taskNames.map { Double(context.losses[$0]!) }
        let logProduct = try matrix.combine(weights: TransferenceScore.logProductWeights(losses: losses))
        func dot(_ a: [Float], _ b: [Float]) -> Double {
            var sum = 0.0
            for i in a.indices { sum += Double(a[i]) * Double(b[i]) }
            return sum
        }
        let logProductNorm = dot(logProduct, logProduct).squareRoot()
        return directions.map { direction in
            let product = dot(direction, logProduct)
            guard firstOrderScore == .cosine else { return product }
            let norm = dot(direction, direction).squareRoot()
            return norm > 0 && logProductNorm > 0 ? product / (norm * logProductNorm) : 0
        }
    }
}
