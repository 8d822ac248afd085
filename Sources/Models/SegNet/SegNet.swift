import TandemCore

/// SegNet with hard sharing, as the MTAN / Nash-MTL / FAMO code builds it for NYUv2 (their
/// `SegNet`, a `SegNetSplit` of type "standard"): the whole encoder–decoder (`SegNetTrunk`) is
/// shared, z is its output (`filters[0]` channels at the input resolution), and each task has a
/// `SegNetPrediction` head.
///
/// For the NYUv2 triple (13-class segmentation, depth, normals) at width 1: 25,055,185
/// parameters, 24,943,296 of them shared. Inputs: N×C×H×W with H and W multiples of 32.
///
/// Parameter names are the reference's module paths: `shared.encoder_block.0.0.weight` …, and
/// `heads.TASK.pred.0.weight` … for the reference's `pred_task{k}` (k = the task's position,
/// from 1); `referenceName(of:)` gives the reference's state-dict name.
public struct SegNet: MultiTaskModel, ReferenceStateDictionary {
    public let heads: [DenseTaskHead]
    public let width: Double
    let trunk: SegNetTrunk
    let predictions: [String: SegNetPrediction]

    public init(heads: [DenseTaskHead], width: Double = 1, inputChannels: Int = 3) {
        precondition(!heads.isEmpty && Set(heads.map(\.task)).count == heads.count, "SegNet needs distinct task names, got \(heads.map(\.task))")
        precondition(width > 0, "width must be positive, got \(width)")
        self.heads = heads
        self.width = width
        trunk = SegNetTrunk(prefix: "shared", inputChannels: inputChannels, filters: segNetFilters(width: width))
        predictions = segNetPredictions(heads, inputChannels: trunk.filters[0])
    }

    public var taskNames: [String] { heads.map(\.task) }

    public func initialParameters(generator: inout SeededGenerator) -> Parameters {
        heads.reduce(trunk.initialParameters(generator: &generator)) { $0.merging(predictions[$1.task]!.initialParameters(generator: &generator)) }
    }

    public func initialBuffers() -> Parameters { trunk.initialBuffers() }

    public func encode(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        validateSegNetInput(input.shape)
        return trunk(input, context).output
    }

    public func head(_ task: String, _ representation: Tensor, _ context: ForwardContext) -> Tensor {
        guard let prediction = predictions[task] else { preconditionFailure("no head '\(task)'; tasks: \(taskNames)") }
        return prediction(representation, context)
    }

    public func referenceName(of name: String) -> String? { segNetReferenceName(of: name, tasks: taskNames) }
}

/// One `SegNetPrediction` per task, named `heads.TASK.pred`.
func segNetPredictions(_ heads: [DenseTaskHead], inputChannels: Int) -> [String: SegNetPrediction] {
    Dictionary(uniqueKeysWithValues: heads.map {
        ($0.task, SegNetPrediction(name: "heads.\($0.task).pred", inputChannels: inputChannels, outputChannels: $0.channels, output: $0.output))
    })
}

/// SegNet's input check: N×C×H×W with H and W positive multiples of 32 (five 2×2 poolings).
func validateSegNetInput(_ shape: [Int]) {
    precondition(shape.count == 4 && shape[2] > 0 && shape[3] > 0 && shape[2] % 32 == 0 && shape[3] % 32 == 0,
                 "SegNet needs N×C×H×W input with H and W positive multiples of 32, got \(shape)")
}

/// The reference's state-dict name of a SegNet / SegNet-MTAN parameter or buffer: `shared.X` →
/// `segnet.X`, `heads.TASK.pred.X` → `segnet.pred_task{k}.X` (k = TASK's position + 1),
/// `heads.TASK.attention.encoder_att.J.X` → `segnet.encoder_att.{k−1}.J.X` (likewise
/// `decoder_att`), and batch-norm names as PyTorch has them (scale → weight, shift → bias,
/// runningMean → running_mean, runningVariance → running_var).
func segNetReferenceName(of name: String, tasks: [String]) -> String? {
    var path: String
    if name.hasPrefix("shared.") {
        path = "segnet." + name.dropFirst("shared.".count)
    } else if let index = tasks.firstIndex(where: { name.hasPrefix("heads.\($0).") }) {
        let rest = name.dropFirst("heads.\(tasks[index]).".count)
        if rest.hasPrefix("pred.") {
            path = "segnet.pred_task\(index + 1)." + rest.dropFirst("pred.".count)
        } else if rest.hasPrefix("attention.") {
            let module = rest.dropFirst("attention.".count)
            guard let dot = module.firstIndex(of: ".") else { return nil }
            path = "segnet.\(module[..<dot]).\(index)\(module[dot...])"
        } else {
            return nil
        }
    } else {
        return nil
    }
    return pyTorchTensorName(path)
}
