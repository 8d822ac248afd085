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
            StrategyEntry(description: ComponentDescription(
                name: "dwa", kind: .strategy,
                summary: "Dynamic weight average: λ_t = T·softmax(r_t/τ), r_t = L̄_t(e−1)/L̄_t(e−2) from epoch mean losses; 1 for the first two epochs.",
                reference: "Liu, Johns & Davison, CVPR 2019 (MTAN); STRATEGIES.md §3",
                options: [OptionSpec("temperature", .number(0.001...1000), default: .number(2), "τ; larger is more uniform")])) { options, _ in
                DynamicWeightAverage(temperature: options.float("temperature")!)
            },
            StrategyEntry(description: ComponentDescription(
                name: "gradnorm", kind: .strategy,
                summary: "GradNorm: learn task weights so that weighted gradient norms at a shared layer follow the tasks' relative inverse training rates.",
                reference: "Chen et al., ICML 2018; STRATEGIES.md §4",
                options: [
                    OptionSpec("alpha", .number(0...10), default: .number(1.5), "asymmetry α (0: equal gradient norms)"),
                    OptionSpec("layer", .choice(GradNorm.Layer.allCases.map(\.rawValue)), default: .text("last-shared"),
                               "where norms are taken: the last shared layer's weights (paper), z, or all shared parameters"),
                    OptionSpec("clip", .boolean, default: .boolean(false), "clip weights to [0.1, 10] before renormalising (TAG reference)"),
                ])) { options, _ in
                GradNorm(alpha: options.float("alpha")!, layer: GradNorm.Layer(rawValue: options.text("layer")!)!, clip: options.boolean("clip")!)
            },
            StrategyEntry(description: ComponentDescription(
                name: "pcgrad", kind: .strategy,
                summary: "PCGrad: project each task gradient onto the normal plane of every conflicting other (random order), then sum.",
                reference: "Yu et al., NeurIPS 2020; STRATEGIES.md §5",
                options: [
                    OptionSpec("level", .choice(PCGrad.Level.allCases.map(\.rawValue)), default: .text("parameters"),
                               "parameters: on the shared parameters (the reference); representation: at z (a cheaper variant, not equivalent)"),
                    OptionSpec("reduction", .choice(PCGrad.Reduction.allCases.map(\.rawValue)), default: .text("sum"), "sum (paper, LibMTL) or mean"),
                ])) { options, context in
                PCGrad(level: PCGrad.Level(rawValue: options.text("level")!)!, reduction: PCGrad.Reduction(rawValue: options.text("reduction")!)!,
                       seed: context.seed)
            },
            StrategyEntry(description: ComponentDescription(
                name: "mgda-ub", kind: .strategy,
                summary: "MGDA-UB: min-norm convex combination of the task gradients at z (or at the shared parameters); α weights the raw losses.",
                reference: "Sener & Koltun, NeurIPS 2018; STRATEGIES.md §6",
                options: [
                    OptionSpec("level", .choice(MGDA.Level.allCases.map(\.rawValue)), default: .text("representation"),
                               "representation: MGDA-UB (one encoder backward); parameters: MGDA on the shared parameters"),
                    OptionSpec("normalisation", .choice(GradientNormalization.allCases.map(\.rawValue)), default: .text("none"),
                               "gradient normaliser for the solver: none (LibMTL), l2, loss, loss+ (MGDA reference config)"),
                    OptionSpec("inner_product", .choice(MGDA.InnerProduct.allCases.map(\.rawValue)), default: .text("full"),
                               "at z: full-tensor inner products (MGDA reference) or batch-summed first (LibMTL)"),
                    OptionSpec("initialisation", .choice(MinimumNormSolver.Initialisation.allCases.map(\.rawValue)), default: .text("uniform"),
                               "Frank–Wolfe start: uniform (paper) or bestPair (reference code)"),
                ])) { options, _ in
                MGDA(level: MGDA.Level(rawValue: options.text("level")!)!, normalisation: GradientNormalization(rawValue: options.text("normalisation")!)!,
                     innerProduct: MGDA.InnerProduct(rawValue: options.text("inner_product")!)!,
                     initialisation: MinimumNormSolver.Initialisation(rawValue: options.text("initialisation")!)!)
            },
            StrategyEntry(description: ComponentDescription(
                name: "ial", kind: .strategy,
                summary: "Impartial auxiliary learning: uncertainty-weighted heads; at z, auxiliary gradients rescaled to the primary's norm and weighted by f(σ) = min(1, g(1 − σ)).",
                reference: "Li et al., arXiv 2412.19547 (2024); STRATEGIES.md §12",
                options: [
                    OptionSpec("g", .choice(ImpartialAuxiliaryLearning.Shape.allCases.map(\.rawValue)), default: .text("linear"),
                               "g: linear max(0, y), scaled max(0, κy), exponential max(0, e^y − 1)"),
                    OptionSpec("kappa", .number(0...100), default: .number(2), "κ of the scaled g"),
                    OptionSpec("sigma", .choice(ImpartialAuxiliaryLearning.SigmaMeaning.allCases.map(\.rawValue)), default: .text("deviation"),
                               "what σ in f(σ) is: the standard deviation e^{s/2}, the variance e^s, or s"),
                    OptionSpec("mode", .choice(ImpartialAuxiliaryLearning.Mode.allCases.map(\.rawValue)), default: .text("both"),
                               "both (IAL); ablations uncertainty-only and norm-only (fixed auxiliary weight)"),
                    OptionSpec("auxiliary_weight", .number(0...1), default: .number(0.1), "the fixed auxiliary weight of norm-only"),
                    OptionSpec("initial", .number(-10...10), default: .number(-0.5), "initial log-variance s₀"),
                ])) { options, context in
                ImpartialAuxiliaryLearning(tasks: context.tasks, shape: .init(rawValue: options.text("g")!)!, kappa: options.float("kappa")!,
                                           sigmaMeaning: .init(rawValue: options.text("sigma")!)!, mode: .init(rawValue: options.text("mode")!)!,
                                           fixedAuxiliaryWeight: options.float("auxiliary_weight")!, initialLogVariance: options.float("initial")!)
            },
        ]
    }
}
