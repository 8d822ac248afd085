import TandemCore

/// Multi-gate Mixture-of-Experts (Ma et al., "Modeling Task Relationships in Multi-task Learning
/// with Multi-gate Mixture-of-Experts", KDD 2018), as LibMTL 1.1.5 builds it around an encoder:
///
///     e_k = E_k(x)                          k = 1…K: K copies of the encoder, the experts
///     g_t = softmax(W_t · flatten(x) + b_t)  one gate per task over the raw input
///     z_t = Σ_k g_t[k] · e_k                 task t's representation → the encoder model's head t
///
/// **Shared** (what the gradient methods combine): the experts, as LibMTL's `get_share_params()`.
/// Each task's gate is its own (`heads.TASK.architecture.gate_specific`), trained by its task's
/// loss. Parameter names follow LibMTL's state dict (`shared.experts_shared.K.…`).
public struct MMoE: MultiTaskModel, ReferenceStateDictionary {
    let heads: ArchitectureHeads
    let experts: [EncoderStages]
    let gates: [String: ExpertGate]

    /// - Parameters:
    ///   - encoderModel: the model whose encoder the experts copy and whose heads predict.
    ///   - inputShape: one sample's shape (LibMTL's `img_size`), for the gates' input size.
    ///   - experts: K, the number of experts.
    public init(encoderModel: any StagedEncoderModel, inputShape: [Int], experts: Int) {
        precondition(experts >= 1, "MMoE needs at least one expert, got \(experts)")
        heads = ArchitectureHeads(encoderModel: encoderModel)
        self.experts = (0..<experts).map { encoderModel.encoderStages(prefix: "shared.experts_shared.\($0)") }
        let inputSize = inputShape.reduce(1, *)
        gates = Dictionary(uniqueKeysWithValues: encoderModel.taskNames.map {
            ($0, ExpertGate(name: "heads.\($0).architecture.gate_specific", inputSize: inputSize, experts: experts))
        })
    }

    public var taskNames: [String] { heads.taskNames }

    public func initialParameters(generator: inout SeededGenerator) -> Parameters {
        var parameters = experts.reduce(Parameters()) { $0.merging($1.initialParameters(generator: &generator)) }
        for task in taskNames { parameters = parameters.merging(gates[task]!.initialParameters(generator: &generator)) }
        return parameters.merging(heads.initialParameters(generator: &generator))
    }

    public func initialBuffers() -> Parameters {
        experts.reduce(heads.initialBuffers()) { $0.merging($1.initialBuffers()) }
    }

    public func encode(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        let outputs = experts.map { $0(input, context) }
        return heads.representation(taskNames.map { mixture(outputs, weights: gates[$0]!(input, context)) })
    }

    public func head(_ task: String, _ representation: Tensor, _ context: ForwardContext) -> Tensor {
        heads.head(task, representation, context)
    }

    public func isEncoderSideHeadParameter(_ name: String) -> Bool { heads.isArchitectureTaskParameter(name) }

    public func referenceName(of name: String) -> String? { heads.mixtureReferenceName(of: name, taskModules: ["gate_specific"]) }
}
