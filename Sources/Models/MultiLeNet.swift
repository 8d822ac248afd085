import TandemCore

/// MultiLeNet (Sener & Koltun, NeurIPS 2018, for MultiMNIST): shared conv 1→10 k5, 2×2 max-pool,
/// ReLU, conv 10→20 k5, 2×2 max-pool, ReLU, linear → 50, ReLU (z, 50 features); each head linear
/// 50→50, ReLU, linear 50→classes. Inputs 1×28×28 or 1×36×36. Each convolution and its pooling
/// are one node (`Conv2DMaxPool`).
public struct MultiLeNet: MultiTaskModel {
    public let inputSide: Int
    public let heads: [(task: String, classes: Int)]
    let trunk: Sequential
    let headLayers: [String: Sequential]

    public init(inputSide: Int = 36, heads: [(task: String, classes: Int)]) {
        precondition(inputSide >= 16, "MultiLeNet needs inputs of at least 16×16, got \(inputSide)")
        precondition(!heads.isEmpty, "MultiLeNet needs at least one head")
        self.inputSide = inputSide
        self.heads = heads
        let side = ((inputSide - 4) / 2 - 4) / 2
        trunk = Sequential([
            Conv2DMaxPool(Conv2D(name: "shared.conv0", inputChannels: 1, outputChannels: 10, kernelSize: 5), poolSize: 2), ReLU(),
            Conv2DMaxPool(Conv2D(name: "shared.conv1", inputChannels: 10, outputChannels: 20, kernelSize: 5), poolSize: 2), ReLU(),
            Flatten(), Linear(name: "shared.linear", inputSize: 20 * side * side, outputSize: 50), ReLU(),
        ])
        var layers: [String: Sequential] = [:]
        for head in heads {
            layers[head.task] = Sequential([
                Linear(name: "heads.\(head.task).linear0", inputSize: 50, outputSize: 50), ReLU(),
                Linear(name: "heads.\(head.task).linear1", inputSize: 50, outputSize: head.classes),
            ])
        }
        headLayers = layers
    }

    public var taskNames: [String] { heads.map(\.task) }

    public func initialParameters(generator: inout SeededGenerator) -> Parameters {
        var p = trunk.initialParameters(generator: &generator)
        for head in heads { p = p.merging(headLayers[head.task]!.initialParameters(generator: &generator)) }
        return p
    }

    public func initialBuffers() -> Parameters { Parameters() }

    public func encode(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        precondition(input.rank == 4 && input.shape[1] == 1 && input.shape[2] == inputSide && input.shape[3] == inputSide,
                     "MultiLeNet expects N×1×\(inputSide)×\(inputSide), got \(input.shape)")
        return trunk(input, context)
    }

    public func head(_ task: String, _ representation: Tensor, _ context: ForwardContext) -> Tensor {
        guard let layers = headLayers[task] else { preconditionFailure("MultiLeNet has no head '\(task)'; tasks: \(taskNames)") }
        return layers(representation, context)
    }
}
