import TandemCore
import TandemStrategies

extension Registry {
    /// Every strategy, model and dataset that ships with Tandem.
    public static var standard: Registry {
        var registry = Registry()
        for entry in builtInStrategies { registry.register(entry) }
        for entry in builtInModels { registry.register(entry) }
        for entry in builtInDatasets { registry.register(entry) }
        return registry
    }

    static var builtInStrategies: [StrategyEntry] {
        [
            StrategyEntry(description: ComponentDescription(
                name: "ew", kind: .strategy,
                summary: "Equal weighting (plain MTL): L = Σ w_t L_t with w_t = 1 (sum) or 1/T (mean).",
                reference: "STRATEGIES.md §1",
                options: [OptionSpec("reduction", .choice(EqualWeighting.Reduction.allCases.map(\.rawValue)), default: .text("sum"),
                                     "sum: w_t = 1 (LibMTL, Auto-λ); mean: w_t = 1/T")])) { options, _ in
                EqualWeighting(reduction: EqualWeighting.Reduction(rawValue: options.text("reduction")!)!)
            },
            StrategyEntry(description: ComponentDescription(
                name: "uw", kind: .strategy,
                summary: "Uncertainty weighting: learn s_t = log σ_t² per task; ℓ_t = ½e^{−s}L_t + ½s_t (libmtl form).",
                reference: "Kendall, Gal & Cipolla, CVPR 2018; STRATEGIES.md §2",
                options: [
                    OptionSpec("variant", .choice(UncertaintyWeighting.Variant.allCases.map(\.rawValue)), default: .text("libmtl"),
                               "libmtl: ½e^{−s}L + ½s for all tasks; kendall: classification tasks use e^{−s}L + ½s; simplified: e^{−s}L + s; tag: u = log σ clipped, L e^{−2u} + u"),
                    OptionSpec("initial", .number(-10...10), default: nil,
                               "initial s₀ (u₀ for tag); default −0.5 (libmtl, kendall, simplified) or 1 (tag)"),
                ])) { options, context in
                UncertaintyWeighting(tasks: context.tasks, variant: UncertaintyWeighting.Variant(rawValue: options.text("variant")!)!,
                                     initialValue: options.float("initial"))
            },
        ]
    }
}
