import Tandem

/// Cosine discount: task t's weight is w_t = (1 + c̄_t)/2, where c̄_t is the mean cosine between
/// its gradient and the other tasks' gradients, and d = Σ_t w_t v_t: a task that agrees with the
/// rest counts fully, one that conflicts with all of them not at all. Written on the
/// `GramianWeighting` adaptor: the weights come from the Gram matrix M_ij = v_i·v_j alone.
final class CosineDiscount: GramianWeighting, RegisteredStrategy {
    static let description = StrategyDescription(
        name: "cosine-discount", title: "Cosine discount (an example from a downstream package)",
        formula: "w_t = (1 + mean_{s≠t} M_ts/√(M_tt M_ss))/2, d = Σ_t w_t v_t",
        paper: "none: an illustration of a strategy on the GramianWeighting adaptor",
        options: [OptionSpec("level", .choice(GradientLevel.allCases.map(\.rawValue)), default: .text("representation"),
                             "where the task gradients v_t are read: representation (h_t at z) or parameters (g_t at θ_s)")],
        cost: "T head backwards and one encoder backward (representation), or T encoder backwards (parameters)",
        behaviour: StrategyBehaviour(scaling: .homogeneous))

    let level: GradientLevel
    let headWeighting = HeadWeighting.unit
    let weightCache = WeightCache()

    init(options: Options, context: StrategyBuildContext) throws { level = GradientLevel(rawValue: options.text("level")!)! }

    func weights(gram: [[Double]], losses: [Double], context: StepContext) throws -> [Double] {
        let count = gram.count
        guard count > 1 else { return [1] }
        return (0..<count).map { t in
            let cosines = (0..<count).filter { $0 != t }.map { s -> Double in
                let norms = (gram[t][t] * gram[s][s]).squareRoot()
                return norms > 0 ? gram[t][s] / norms : 0
            }
            return (1 + cosines.reduce(0, +) / Double(count - 1)) / 2
        }
    }
}
