import TandemCore

/// One copy of the encoder per task, connected between stages by learned mixing weights, and the
/// encoder model's heads — what Cross-stitch and LTB share. Copy t is
/// `shared.encoder.networks.TASK.…`, the mixing weights `shared.encoder.NAME`; LibMTL's names are
/// `encoder.resnet_conv.TASK.{0,1}.…` (stem), `encoder.resnet_layer.I.T.…` (stage I of task T's
/// copy) and `encoder.NAME`.
struct TaskNetworks {
    let heads: ArchitectureHeads
    let networks: [EncoderStages]
    let mixing: MixingWeights

    /// `mixingShape(stages, tasks)`: the shape of the mixing weights.
    init(encoderModel: any StagedEncoderModel, architecture: String, mixingName: String, mixingShape: (Int, Int) -> [Int]) {
        heads = ArchitectureHeads(encoderModel: encoderModel)
        networks = encoderModel.taskNames.map { encoderModel.encoderStages(prefix: "shared.encoder.networks.\($0)") }
        precondition(networks.allSatisfy(\.tail.isEmpty), "\(architecture) needs an encoder that ends with its last stage")
        mixing = MixingWeights(name: "shared.encoder.\(mixingName)", shape: mixingShape(networks[0].stages.count, networks.count))
    }

    var tasks: [String] { heads.taskNames }
    var stageCount: Int { networks[0].stages.count }

    func initialParameters(generator: inout SeededGenerator) -> Parameters {
        networks.reduce(Parameters()) { $0.merging($1.initialParameters(generator: &generator)) }
            .merging(mixing.initialParameters(generator: &generator)).merging(heads.initialParameters(generator: &generator))
    }

    func initialBuffers() -> Parameters { networks.reduce(heads.initialBuffers()) { $0.merging($1.initialBuffers()) } }

    /// Σ_j weights[j] · features[j], each weight a one-element tensor.
    static func mix(_ features: [Tensor], weights: [Tensor]) -> Tensor {
        var result: Tensor?
        for (feature, weight) in zip(features, weights) {
            let term = weight.reshaped([Int](repeating: 1, count: feature.rank)) * feature
            result = result.map { $0 + term } ?? term
        }
        return result!
    }

    /// LibMTL's name of a parameter: a task's copy, the mixing weights or a head; nil without reference names.
    func referenceName(of name: String) -> String? {
        guard heads.encoderModel is any ReferenceStateDictionary else { return nil }
        if name == mixing.name { return String(name.dropFirst("shared.".count)) }
        for (index, task) in tasks.enumerated() where name.hasPrefix("shared.encoder.networks.\(task).") {
            guard let (level, rest) = resNetLevelPath(String(name.dropFirst("shared.encoder.networks.\(task).".count))) else { return nil }
            return pyTorchTensorName(level == 0 ? "encoder.resnet_conv.\(task).\(rest)" : "encoder.resnet_layer.\(level - 1).\(index).\(rest)")
        }
        return heads.referenceHeadName(of: name)
    }
}

/// A learned tensor of mixing weights (`NAME`), initialised to ones as LibMTL does.
struct MixingWeights: Layer {
    let name: String
    let shape: [Int]

    func initialParameters(generator: inout SeededGenerator) -> Parameters { Parameters([(name, Tensor.ones(shape))]) }

    func callAsFunction(_ input: Tensor, _ context: ForwardContext) -> Tensor { context.parameters[name] }
}
