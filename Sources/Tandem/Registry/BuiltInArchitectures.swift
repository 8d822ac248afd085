import TandemCore
import TandemModels

extension Registry {
    /// LibMTL's architectures as wrappers around an encoder model (`encoder:`, a model that can be
    /// taken apart into stages: resnet, splitres), whose heads they keep.
    static var builtInArchitectures: [ModelEntry] {
        [
            architecture(
                name: "cross-stitch",
                summary: "Cross-stitch networks: one copy of the encoder per task, the tasks' features mixed between stages by learned T×T units. Shared: every copy and the units (LibMTL's get_share_params(): the whole encoder).",
                reference: "Misra et al., CVPR 2016; LibMTL Cross_stitch",
                options: [OptionSpec("units", .choice(CrossStitch.Units.allCases.map(\.rawValue)), default: .text("pairwise"),
                                     "pairwise: α[t][j] mixes task j's features into task t's (the paper; LibMTL's repository); per_source: one α[j] for every task (LibMTL 1.1.5 on PyPI)")],
                stageWise: true) { options, encoder, _ in
                CrossStitch(encoderModel: encoder, units: CrossStitch.Units(rawValue: options.text("units")!)!)
            },
            architecture(
                name: "mtan",
                summary: "MTAN around an encoder: the encoder shared, per task a chain of soft-attention masks over each stage's features (stages of at least two blocks). Shared: the encoder and the attention blocks all tasks use; each task's masks are its own (LibMTL's get_share_params() is the encoder alone).",
                reference: "Liu, Johns, Davison, CVPR 2019; LibMTL MTAN",
                stageWise: true, blocksPerStage: 2) { _, encoder, inputShape in
                if let problem = MTAN.resolutionProblem(encoder: encoder.encoderStages(prefix: "probe"), inputShape: inputShape) {
                    throw CommandError("mtan on \(inputShape.map(String.init).joined(separator: "×")) inputs: \(problem)")
                }
                return MTAN(encoderModel: encoder)
            },
            architecture(
                name: "mmoe",
                summary: "Multi-gate mixture of experts: K copies of the encoder as experts, per task a softmax gate over the flattened input. Shared: the experts; each task's gate is its own.",
                reference: "Ma et al., KDD 2018; LibMTL MMoE",
                options: [OptionSpec("num_experts", .integer(1...64), default: .integer(2), "K, the experts (LibMTL has no default; 2 is the fewest a gate can choose among)")]) { options, encoder, inputShape in
                MMoE(encoderModel: encoder, inputShape: inputShape, experts: options.integer("num_experts")!)
            },
            architecture(
                name: "cgc",
                summary: "Customized gate control: MMoE with experts of each task's own beside the shared ones. Shared: the shared experts; each task's experts and gate are its own.",
                reference: "Tang et al., RecSys 2020 (PLE paper); LibMTL CGC",
                options: [expertCounts]) { options, encoder, inputShape in
                let (shared, own) = try expertCounts(options, tasks: encoder.taskNames, architecture: "cgc")
                return CGC(encoderModel: encoder, inputShape: inputShape, sharedExperts: shared, taskExperts: own)
            },
            architecture(
                name: "ple",
                summary: "Progressive layered extraction: CGC at every level of the encoder (its stem and each stage), each task carrying its own representation. Shared: the shared experts at every level; each task's experts and gates are its own.",
                reference: "Tang et al., RecSys 2020; LibMTL PLE",
                options: [expertCounts], stageWise: true) { options, encoder, inputShape in
                let (shared, own) = try expertCounts(options, tasks: encoder.taskNames, architecture: "ple")
                return PLE(encoderModel: encoder, inputShape: inputShape, sharedExperts: shared, taskExperts: own)
            },
            architecture(
                name: "dselect-k",
                summary: "DSelect-k: MMoE whose gates are k differentiable selectors over binary expert codes. Shared: the experts; each task's selectors are its own.",
                reference: "Hazimeh et al., NeurIPS 2021; LibMTL DSelect_k",
                options: [
                    OptionSpec("num_experts", .integer(1...64), default: .integer(2), "the experts (LibMTL has no default)"),
                    OptionSpec("num_nonzeros", .integer(1...64), default: .integer(2), "k, the selectors per task (LibMTL's default)"),
                    OptionSpec("kgamma", .number(1e-6...1e6), default: .number(1), "γ: the selector logits start at U(±γ/100) (as in LibMTL, the smooth step itself uses γ = 1)"),
                ]) { options, encoder, inputShape in
                DSelectK(encoderModel: encoder, inputShape: inputShape, experts: options.integer("num_experts")!,
                         selectors: options.integer("num_nonzeros")!, gamma: options.number("kgamma")!)
            },
            architecture(
                name: "ltb",
                summary: "Learning to branch: one copy of the encoder per task; before each stage every task picks which task's previous level it reads (hard Gumbel-softmax over learned logits; all of them in the first 1 % of epochs). Shared: every copy and the logits (LibMTL's get_share_params(): the whole encoder).",
                reference: "Guo, Lee, Ulbricht, ICML 2020; LibMTL's repository LTB (not in 1.1.5)",
                stageWise: true) { _, encoder, _ in
                LTB(encoderModel: encoder)
            },
        ]
    }

    /// CGC's and PLE's `num_experts`: LibMTL's list [shared, task 1, …, task T]; [shared, each task] for short.
    static var expertCounts: OptionSpec {
        OptionSpec("num_experts", .list(.integer(0...64)), default: .list([.integer(1), .integer(1)]),
                   "experts: [shared, task 1, …, task T] as LibMTL's list, or [shared, every task] (LibMTL has no default)")
    }

    static func expertCounts(_ options: Options, tasks: [String], architecture: String) throws -> (shared: Int, own: [Int]) {
        let counts = options.list("num_experts")!.compactMap { if case let .integer(v) = $0 { return v } else { return nil } }
        let own: [Int]
        switch counts.count {
        case tasks.count + 1: own = Array(counts.dropFirst())
        case 2: own = [Int](repeating: counts[1], count: tasks.count)
        default: throw CommandError("\(architecture).num_experts must be [shared, every task] or [shared, \(tasks.joined(separator: ", "))], found \(counts)")
        }
        guard own.allSatisfy({ counts[0] + $0 >= 1 }) else {
            throw CommandError("\(architecture).num_experts \(counts): every task needs at least one expert to read (shared or its own)")
        }
        return (counts[0], own)
    }

    /// An architecture's entry: the `encoder` option and its own; builds the encoder model, checks
    /// it can be taken apart (and, `stageWise`, that it ends with its last stage; `blocksPerStage`).
    static func architecture(name: String, summary: String, reference: String, options: [OptionSpec] = [],
                             stageWise: Bool = false, blocksPerStage: Int = 1,
                             make: @escaping (Options, any StagedEncoderModel, [Int]) throws -> any MultiTaskModel) -> ModelEntry {
        ModelEntry(description: ComponentDescription(
            name: name, kind: .model, summary: summary, reference: reference,
            options: [OptionSpec("encoder", .model, default: .model(name: "resnet", options: [:]),
                                 "the model whose encoder the architecture copies and takes apart, and whose heads predict: resnet (LibMTL's ResNet) or splitres (with split: 5 for the stage-wise architectures); a name or {name: …, options}")] + options)) { options, tasks, inputShape, registry in
            let (encoderName, values) = options.model("encoder")!
            guard let entry = registry.models[encoderName] else {
                throw CommandError(NameSuggestion.unknown("encoder model of \(name)", encoderName, valid: registry.modelNames))
            }
            let built = try entry.make(validating: values, tasks: tasks, inputShape: inputShape, registry: registry)
            guard let encoder = built as? any StagedEncoderModel else {
                throw CommandError("\(name): the encoder model \(encoderName) cannot be taken apart into stages; encoders that can: \(registry.stagedEncoderNames.joined(separator: ", "))")
            }
            let probe = encoder.encoderStages(prefix: "probe")
            if stageWise && !probe.tail.isEmpty {
                throw CommandError("\(name) connects the encoder's stages, so the encoder must end with its last stage; \(encoderName) has shared layers after it (splitres: use split: 5)")
            }
            if let short = probe.stages.firstIndex(where: { $0.count < blocksPerStage }) {
                throw CommandError("\(name) needs encoder stages of at least \(blocksPerStage) blocks; stage \(short + 1) of \(encoderName) has \(probe.stages[short].count)")
            }
            return try make(options, encoder, inputShape)
        }
    }

    /// The built-in models an architecture can wrap.
    var stagedEncoderNames: [String] { ["resnet", "splitres"].filter { models[$0] != nil } }
}
