/// A tensor a node keeps for its backward rule.
///
/// Most are kept as they are (`held`). The output of an op that can recompute it cheaply from what
/// it saved itself (batch norm, ReLU, sigmoid, tanh: `Node.recomputeOutput`) is not, when it is
/// large (`Tape.smallestRecomputedOutput`): the nodes that read it keep only a
/// `RecomputableOutput`, and the rule that needs it gets it back, the same bits, when the backward
/// pass reaches it. The output's memory is then free from the moment the forward code lets go of
/// it — for a convolution → batch norm → ReLU → convolution chain, the tape keeps one tensor per
/// layer (the batch norm's input) instead of two.
struct SavedTensor {
    /// The tensor, when it is kept as it is.
    var held: Tensor?
    /// Otherwise the way back to it.
    let recomputable: RecomputableOutput?

    /// What an op saved: a tensor whose producer recomputes its output becomes a reference to it.
    init(_ tensor: Tensor) {
        if tensor.count >= Tape.smallestRecomputedOutput, let producer = tensor.node, producer.recomputeOutput != nil {
            held = nil
            recomputable = RecomputableOutput.of(producer, tensor)
        } else {
            held = tensor
            recomputable = nil
        }
    }

    /// The tensor itself: kept, still alive elsewhere, or recomputed.
    func tensor(for reader: Node) -> Tensor { held ?? recomputable!.tensor(for: reader) }
}

/// The output of `producer`, as the nodes that read it keep it: not the memory, only the way back.
///
/// While something else holds the output's storage (the forward code, a node that keeps it), that
/// storage is used; otherwise `producer.recomputeOutput` makes it again from what `producer` saved.
/// One object per producer, shared by its readers; when a backward pass without `retainGraph`
/// releases the producer while readers still hold this object, `pinBeforeRelease` keeps the output
/// for them (the memory they would have held anyway).
final class RecomputableOutput {
    let producer: Node
    let shape: [Int]
    let format: ActivationFormat
    private weak var liveStorage: TensorStorage?
    private var pinnedStorage: TensorStorage?

    private init(producer: Node, shape: [Int], format: ActivationFormat, storage: TensorStorage) {
        self.producer = producer
        self.shape = shape
        self.format = format
        liveStorage = storage
    }

    /// The producer's one reference object, made on first use.
    static func of(_ producer: Node, _ output: Tensor) -> RecomputableOutput {
        if let existing = producer.outputReference { return existing }
        let reference = RecomputableOutput(producer: producer, shape: output.shape, format: output.format,
                                           storage: output.heldStorage)
        producer.outputReference = reference
        return reference
    }

    func tensor(for reader: Node) -> Tensor {
        if let storage = pinnedStorage ?? liveStorage { return Tensor(shape: shape, storage: storage, format: format, node: producer) }
        guard let recompute = producer.recomputeOutput, let inputs = producer.savedTensors else {
            preconditionFailure("grad: '\(reader.opName)' needs the output of '\(producer.opName)', which an earlier backward "
                                + "pass released; pass retainGraph: true to the first one")
        }
        let storage = Tape.withoutRecording { recompute(inputs) }
        liveStorage = storage
        return Tensor(shape: shape, storage: storage, format: format, node: producer)
    }

    /// Called before `producer` drops what it saved: readers that have not run yet keep the output.
    func pinBeforeRelease() {
        if pinnedStorage == nil { pinnedStorage = tensor(for: producer).heldStorage }
    }
}
