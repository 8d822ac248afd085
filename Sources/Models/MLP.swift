import TandemCore

/// A multi-layer perceptron for toy and tabular problems: a shared trunk of Linear–ReLU layers
/// (`shared.layerK`) and per-task heads (`heads.TASK.layerK`), each its own stack of Linear layers
/// with ReLU between them.
public struct MLP: MultiTaskModel {
    public let inputSize: Int
    public let sharedWidths: [Int]
    public let heads: [(task: String, widths: [Int])]
    private let trunk: [Linear]
    private let headLayers: [String: [Linear]]

    /// - Parameters:
    ///   - sharedWidths: widths of the shared hidden layers (each followed by ReLU); z has the last.
    ///   - heads: per task, the widths of its layers; the last is the task's output size.
    public init(inputSize: Int, sharedWidths: [Int], heads: [(task: String, widths: [Int])]) {
        precondition(!heads.isEmpty, "MLP needs at least one task head")
        precondition(heads.allSatisfy { !$0.widths.isEmpty }, "every MLP head needs an output width")
        self.inputSize = inputSize
        self.sharedWidths = sharedWidths
        self.heads = heads
        var sizes = [inputSize] + sharedWidths
        trunk = (0..<sharedWidths.count).map { Linear(name: "shared.layer\($0)", inputSize: sizes[$0], outputSize: sizes[$0 + 1]) }
        let zSize = sizes.last!
        var layers: [String: [Linear]] = [:]
        for head in heads {
            sizes = [zSize] + head.widths
            layers[head.task] = (0..<head.widths.count).map {
                Linear(name: "heads.\(head.task).layer\($0)", inputSize: sizes[$0], outputSize: sizes[$0 + 1])
            }
        }
        headLayers = layers
    }

    public var taskNames: [String] { heads.map(\.task) }

    public func initialParameters(generator: inout SeededGenerator) -> Parameters {
        var p = Parameters()
        for layer in trunk { p = p.merging(layer.initialParameters(generator: &generator)) }
        for head in heads {
            for layer in headLayers[head.task]! { p = p.merging(layer.initialParameters(generator: &generator)) }
        }
        return p
    }

    public func initialBuffers() -> Parameters { Parameters() }

    public func encode(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        let flat = input.reshaped([input.shape[0], input.count / input.shape[0]])
        return trunk.reduce(flat) { relu($1($0, context)) }
    }

    public func head(_ task: String, _ representation: Tensor, _ context: ForwardContext) -> Tensor {
        guard let layers = headLayers[task] else { preconditionFailure("MLP has no head '\(task)'; tasks: \(taskNames)") }
        var x = representation
        for (index, layer) in layers.enumerated() {
            x = layer(x, context)
            if index < layers.count - 1 { x = relu(x) }
        }
        return x
    }
}
