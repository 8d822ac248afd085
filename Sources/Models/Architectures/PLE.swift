import TandemCore

/// Progressive Layered Extraction (Tang et al., RecSys 2020), as LibMTL 1.1.5 builds it around an
/// encoder taken apart into levels (the stem, then each stage): CGC at every level, each task
/// carrying its own representation from level to level,
///
///     h_t⁰ = x
///     h_tˡ⁺¹ = Σ_k g_tˡ(h_tˡ)[k] · [S_1ˡ(h_tˡ)…S_{K_s}ˡ(h_tˡ), P_{t,1}ˡ(h_tˡ)…P_{t,K_t}ˡ(h_tˡ)][k]
///     z_t = h_t^L                                       L = 1 + the encoder's stages
///
/// with Sₖˡ, P_{t,k}ˡ level l of the k-th shared / task-t copy of the encoder and g_tˡ =
/// softmax(W · flatten(h) + b) task t's gate at level l. The shared experts run on each task's own
/// representation (LibMTL's code: there is no shared gate).
///
/// **Shared**: the shared experts at every level (LibMTL's `get_share_params()`); task t's
/// experts and gates are its own. The encoder must end with its last stage (no tail).
public struct PLE: MultiTaskModel, ReferenceStateDictionary {
    let heads: ArchitectureHeads
    let sharedExperts: [EncoderStages]
    let taskExperts: [String: [EncoderStages]]
    /// g_tˡ by task, l = 0…L−1.
    let gates: [String: [ExpertGate]]

    public init(encoderModel: any StagedEncoderModel, inputShape: [Int], sharedExperts: Int, taskExperts: [Int]) {
        let tasks = encoderModel.taskNames
        checkExpertCounts("PLE", tasks: tasks, shared: sharedExperts, own: taskExperts)
        heads = ArchitectureHeads(encoderModel: encoderModel)
        let shared = (0..<sharedExperts).map { encoderModel.encoderStages(prefix: "shared.encoder.shared_layer.\($0)") }
        var own: [String: [EncoderStages]] = [:]
        for (task, count) in zip(tasks, taskExperts) {
            own[task] = (0..<count).map { encoderModel.encoderStages(prefix: "heads.\(task).architecture.specific_layer.\($0)") }
        }
        precondition((shared + own.values.flatMap { $0 }).allSatisfy(\.tail.isEmpty), "PLE needs an encoder that ends with its last stage")
        // The gates' input sizes: each level's input for one sample (LibMTL runs shared expert 0 on a random sample).
        let probe = shared.first ?? own[tasks.first { !own[$0]!.isEmpty }!]![0]
        let sizes = PLE.levelInputSizes(probe, inputShape: inputShape)
        var gates: [String: [ExpertGate]] = [:]
        for (task, count) in zip(tasks, taskExperts) {
            gates[task] = sizes.enumerated().map { level, size in
                ExpertGate(name: "heads.\(task).architecture.gate_specific.\(level)", inputSize: size, experts: sharedExperts + count)
            }
        }
        self.sharedExperts = shared
        self.taskExperts = own
        self.gates = gates
    }

    /// Elements of one sample at the input of each level (the input, then each level's output but the last).
    static func levelInputSizes(_ encoder: EncoderStages, inputShape: [Int]) -> [Int] {
        let shapes = encoder.probeShapes(inputShape: inputShape)
        return ([inputShape, shapes.stem] + shapes.stages.dropLast().map(\.output)).map { $0.reduce(1, *) }
    }

    public var taskNames: [String] { heads.taskNames }

    /// L: the stem and each stage.
    var levels: Int { gates[taskNames[0]]!.count }

    public func initialParameters(generator: inout SeededGenerator) -> Parameters {
        var parameters = sharedExperts.reduce(Parameters()) { $0.merging($1.initialParameters(generator: &generator)) }
        for task in taskNames {
            for expert in taskExperts[task]! { parameters = parameters.merging(expert.initialParameters(generator: &generator)) }
            for gate in gates[task]! { parameters = parameters.merging(gate.initialParameters(generator: &generator)) }
        }
        return parameters.merging(heads.initialParameters(generator: &generator))
    }

    public func initialBuffers() -> Parameters {
        (sharedExperts + taskNames.flatMap { taskExperts[$0]! }).reduce(heads.initialBuffers()) { $0.merging($1.initialBuffers()) }
    }

    public func encode(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        func level(_ l: Int, of expert: EncoderStages, _ x: Tensor) -> Tensor {
            l == 0 ? expert.runStem(x, context) : expert.runStage(l - 1, x, context)
        }
        var representations = taskNames.map { _ in input }
        for l in 0..<levels {
            for (index, task) in taskNames.enumerated() {
                let h = representations[index]
                let outputs = (sharedExperts + taskExperts[task]!).map { level(l, of: $0, h) }
                representations[index] = mixture(outputs, weights: gates[task]![l](h, context))
            }
        }
        return heads.representation(representations)
    }

    public func head(_ task: String, _ representation: Tensor, _ context: ForwardContext) -> Tensor {
        heads.head(task, representation, context)
    }

    public func isEncoderSideHeadParameter(_ name: String) -> Bool { heads.isArchitectureTaskParameter(name) }

    /// LibMTL's `encoder.shared_layer.L.K.…`, `encoder.specific_layer.L.TASK.K.…`,
    /// `encoder.gate_specific.TASK.L.0.…`.
    public func referenceName(of name: String) -> String? {
        guard heads.encoderModel is any ReferenceStateDictionary else { return nil }
        func expertPath(_ module: String, task: String?, _ rest: Substring) -> String? {
            guard let dot = rest.firstIndex(of: "."), let (level, inner) = resNetLevelPath(String(rest[rest.index(after: dot)...])) else { return nil }
            return pyTorchTensorName("encoder.\(module).\(level).\(task.map { "\($0)." } ?? "")\(rest[..<dot]).\(inner)")
        }
        if name.hasPrefix("shared.encoder.shared_layer.") {
            return expertPath("shared_layer", task: nil, name.dropFirst("shared.encoder.shared_layer.".count))
        }
        if let (task, rest) = heads.architectureTaskParameter(name) {
            if rest.hasPrefix("specific_layer.") { return expertPath("specific_layer", task: task, rest.dropFirst("specific_layer.".count)) }
            if rest.hasPrefix("gate_specific.") { return "encoder.gate_specific.\(task)." + rest.dropFirst("gate_specific.".count) }
            return nil
        }
        return heads.referenceHeadName(of: name)
    }
}
