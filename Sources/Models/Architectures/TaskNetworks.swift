import TandemCore

/// One copy of the encoder per task, connected between stages by learned T×T mixing weights —
/// what Cross-stitch and LTB share. Copy t is `shared.encoder.networks.TASK.…`; LibMTL's names
/// are `encoder.resnet_conv.TASK.{0,1}.…` (stem) and `encoder.resnet_layer.I.T.…` (stage I of
/// task T's copy).
struct TaskNetworks {
    let tasks: [String]
    let networks: [EncoderStages]

    init(encoderModel: any StagedEncoderModel, architecture: String) {
        tasks = encoderModel.taskNames
        networks = tasks.map { encoderModel.encoderStages(prefix: "shared.encoder.networks.\($0)") }
        precondition(networks.allSatisfy(\.tail.isEmpty), "\(architecture) needs an encoder that ends with its last stage")
    }

    var stageCount: Int { networks[0].stages.count }

    func initialParameters(generator: inout SeededGenerator) -> Parameters {
        networks.reduce(Parameters()) { $0.merging($1.initialParameters(generator: &generator)) }
    }

    func initialBuffers() -> Parameters { networks.reduce(Parameters()) { $0.merging($1.initialBuffers()) } }

    /// Σ_j weights[j] · features[j], each weight a one-element tensor.
    static func mix(_ features: [Tensor], weights: [Tensor]) -> Tensor {
        var result: Tensor?
        for (feature, weight) in zip(features, weights) {
            let term = weight.reshaped([Int](repeating: 1, count: feature.rank)) * feature
            result = result.map { $0 + term } ?? term
        }
        return result!
    }

    /// LibMTL's name of a parameter of a task's copy, nil if `name` is not one.
    func referenceName(of name: String) -> String? {
        for (index, task) in tasks.enumerated() where name.hasPrefix("shared.encoder.networks.\(task).") {
            guard let (level, rest) = resNetLevelPath(String(name.dropFirst("shared.encoder.networks.\(task).".count))) else { return nil }
            return pyTorchTensorName(level == 0 ? "encoder.resnet_conv.\(task).\(rest)" : "encoder.resnet_layer.\(level - 1).\(index).\(rest)")
        }
        return nil
    }
}

/// A learned tensor of mixing weights (`NAME`), initialised to ones as LibMTL does.
struct MixingWeights: Layer {
    let name: String
    let shape: [Int]

    func initialParameters(generator: inout SeededGenerator) -> Parameters { Parameters([(name, Tensor.ones(shape))]) }

    func callAsFunction(_ input: Tensor, _ context: ForwardContext) -> Tensor { context.parameters[name] }
}
