import TandemCore

/// Customized Gate Control (Tang et al., "Progressive Layered Extraction (PLE)", RecSys 2020), as
/// LibMTL 1.1.5 builds it around an encoder: MMoE with experts of each task's own beside the
/// shared ones,
///
///     s_k = E_k(x)                                      k = 1…K_s shared experts
///     p_{t,k} = E_{t,k}(x)                              k = 1…K_t experts of task t
///     g_t = softmax(W_t · flatten(x) + b_t)             over the K_s + K_t experts task t reads
///     z_t = Σ_k g_t[k] · [s_1…s_{K_s}, p_{t,1}…p_{t,K_t}][k]
///
/// **Shared**: the shared experts (LibMTL's `get_share_params()`). Task t's experts and gate are
/// its own (`heads.TASK.architecture.experts_specific.K.…`, `….gate_specific`).
public struct CGC: MultiTaskModel, ReferenceStateDictionary {
    let heads: ArchitectureHeads
    let sharedExperts: [EncoderStages]
    let taskExperts: [String: [EncoderStages]]
    let gates: [String: ExpertGate]

    /// - Parameters:
    ///   - sharedExperts: K_s; `taskExperts`: K_t for every task (in task order).
    public init(encoderModel: any StagedEncoderModel, inputShape: [Int], sharedExperts: Int, taskExperts: [Int]) {
        let tasks = encoderModel.taskNames
        checkExpertCounts("CGC", tasks: tasks, shared: sharedExperts, own: taskExperts)
        heads = ArchitectureHeads(encoderModel: encoderModel)
        self.sharedExperts = (0..<sharedExperts).map { encoderModel.encoderStages(prefix: "shared.experts_shared.\($0)") }
        var own: [String: [EncoderStages]] = [:], gates: [String: ExpertGate] = [:]
        let inputSize = inputShape.reduce(1, *)
        for (task, count) in zip(tasks, taskExperts) {
            own[task] = (0..<count).map { encoderModel.encoderStages(prefix: "heads.\(task).architecture.experts_specific.\($0)") }
            gates[task] = ExpertGate(name: "heads.\(task).architecture.gate_specific", inputSize: inputSize, experts: sharedExperts + count)
        }
        self.taskExperts = own
        self.gates = gates
    }

    public var taskNames: [String] { heads.taskNames }

    public func initialParameters(generator: inout SeededGenerator) -> Parameters {
        var parameters = sharedExperts.reduce(Parameters()) { $0.merging($1.initialParameters(generator: &generator)) }
        for task in taskNames {
            for expert in taskExperts[task]! { parameters = parameters.merging(expert.initialParameters(generator: &generator)) }
        }
        for task in taskNames { parameters = parameters.merging(gates[task]!.initialParameters(generator: &generator)) }
        return parameters.merging(heads.initialParameters(generator: &generator))
    }

    public func initialBuffers() -> Parameters {
        (sharedExperts + taskNames.flatMap { taskExperts[$0]! }).reduce(heads.initialBuffers()) { $0.merging($1.initialBuffers()) }
    }

    public func encode(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        let shared = sharedExperts.map { $0(input, context) }
        return heads.representation(taskNames.map { task in
            mixture(shared + taskExperts[task]!.map { $0(input, context) }, weights: gates[task]!(input, context))
        })
    }

    public func head(_ task: String, _ representation: Tensor, _ context: ForwardContext) -> Tensor {
        heads.head(task, representation, context)
    }

    public func isEncoderSideHeadParameter(_ name: String) -> Bool { heads.isArchitectureTaskParameter(name) }

    public func referenceName(of name: String) -> String? {
        heads.mixtureReferenceName(of: name, taskModules: ["gate_specific", "experts_specific"])
    }
}
