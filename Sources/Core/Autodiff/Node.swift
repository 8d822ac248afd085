/// The backward rule of one recorded op: given the gradient of the op's output, the tensors it
/// saved, and which inputs need a gradient, return one gradient per input (nil = none/zero).
///
/// Rules are written with ordinary tensor ops, so running them while recording builds a graph of
/// the backward pass itself (gradients of gradients). By convention a rule captures no tensors:
/// everything it needs is in `saved`, so the tape can release activations as it goes.
typealias BackwardRule = (_ gradient: Tensor, _ saved: [Tensor], _ needsGradient: [Bool]) -> [Tensor?]

/// An op's output made again from the tensors the op saved, bit for bit as the forward pass made
/// it (see `SavedTensor`).
typealias RecomputeRule = (_ saved: [Tensor]) -> TensorStorage

/// One op on the tape.
final class Node {
    nonisolated(unsafe) private static var nextID = 0

    /// Creation order; a node always has a larger id than the nodes it depends on.
    let id: Int
    let opName: String
    var inputs: [Node?]
    var saved: [SavedTensor]
    var backward: BackwardRule?
    /// How to make this op's output again from `saved`, for ops where that is cheap.
    let recomputeOutput: RecomputeRule?
    /// The reference the readers of this op's output keep instead of the output (while any does).
    weak var outputReference: RecomputableOutput?

    init(opName: String, inputs: [Node?], saved: [Tensor], recomputeOutput: RecomputeRule? = nil,
         backward: @escaping BackwardRule) {
        Node.nextID += 1
        id = Node.nextID
        self.opName = opName
        self.inputs = inputs
        self.saved = saved.map(SavedTensor.init)
        self.recomputeOutput = recomputeOutput
        self.backward = backward
    }

    /// A leaf: a tensor gradients are taken with respect to.
    init(leafShape: [Int]) {
        Node.nextID += 1
        id = Node.nextID
        opName = "leaf"
        inputs = []
        saved = []
        recomputeOutput = nil
        backward = nil
    }

    var isLeaf: Bool { opName == "leaf" }

    /// The saved tensors as the backward rule reads them; nil once a backward pass released them.
    var savedTensors: [Tensor]? {
        backward == nil ? nil : saved.map { $0.tensor(for: self) }
    }

    /// Drops what the backward rule needed (after a backward pass that does not retain the graph).
    /// Readers of this node's output that have not run yet keep the output itself.
    func releaseSaved() {
        outputReference?.pinBeforeRelease()
        saved = []
        backward = nil
    }

    /// Tears the graph below this node down with an explicit stack instead of recursion, so even
    /// a chain of millions of ops is freed without overflowing the call stack.
    deinit {
        if inputs.isEmpty && saved.isEmpty { return }
        var pending: [Node] = inputs.compactMap { $0 }
        var savedTensors = saved
        inputs = []
        saved = []
        backward = nil
        Node.detachNodes(of: &savedTensors, into: &pending)
        while var node = pending.popLast() {
            if isKnownUniquelyReferenced(&node) {
                pending.append(contentsOf: node.inputs.compactMap { $0 })
                var nodeSaved = node.saved
                node.inputs = []
                node.saved = []
                node.backward = nil
                Node.detachNodes(of: &nodeSaved, into: &pending)
            }
        }
    }

    private static func detachNodes(of saved: inout [SavedTensor], into pending: inout [Node]) {
        for index in saved.indices {
            if let output = saved[index].recomputable { pending.append(output.producer) }
            if saved[index].held != nil, isKnownUniquelyReferenced(&saved[index].held!), let node = saved[index].held!.node {
                saved[index].held!.node = nil
                pending.append(node)
            }
        }
    }
}

/// The dynamic tape: whether ops are being recorded right now.
public enum Tape {
    nonisolated(unsafe) static var isRecording = true

    /// The smallest recomputable output, in Floats, that the ops reading it keep as a reference
    /// rather than as memory (`SavedTensor`): 2²¹ Floats, 8 MiB. Smaller outputs are kept.
    /// Recomputing every output made a MultiLeNet step (outputs of at most 1.4 MB) 7 % slower and a
    /// SplitVGG-3 step at 64×96, batch 8 (at most 12.6 MB) 5–10 % slower, in alternating pairs,
    /// while a SegNet-MTAN step at 288×384, batch 2 (up to 57 MB) was no slower; with this line
    /// SegNet-MTAN's peak resident memory is 6,311 MiB against 8,125 keeping every output (6,596
    /// with the line at 16 MiB), and the two smaller models keep every output. The gradients' bits do not depend on it.
    /// Tests set 0 (recompute every one) or `Int.max` (keep every one) to compare the two.
    nonisolated(unsafe) static var smallestRecomputedOutput = 1 << 21

    /// Runs `body` without recording ops (like `torch.no_grad`).
    public static func withoutRecording<R>(_ body: () throws -> R) rethrows -> R {
        let previous = isRecording
        isRecording = false
        defer { isRecording = previous }
        return try body()
    }

    static func withRecording<R>(_ enabled: Bool, _ body: () throws -> R) rethrows -> R {
        let previous = isRecording
        isRecording = enabled
        defer { isRecording = previous }
        return try body()
    }

    /// Wraps `storage` as the output of an op, recording a node when any input is tracked.
    /// `recomputeOutput`, for ops whose output is cheap to make again from `saved` (elementwise ops
    /// that save their input), lets the ops reading the output keep a reference instead of its
    /// memory (`SavedTensor`); it must give the output's bits exactly.
    static func record(_ opName: String, shape: [Int], storage: TensorStorage, format: ActivationFormat = .plain, inputs: [Tensor],
                       saved: @autoclosure () -> [Tensor] = [], recomputeOutput: RecomputeRule? = nil,
                       backward: @escaping BackwardRule) -> Tensor {
        guard isRecording, inputs.contains(where: { $0.node != nil }) else {
            return Tensor(shape: shape, storage: storage, format: format)
        }
        let node = Node(opName: opName, inputs: inputs.map { $0.node }, saved: saved(), recomputeOutput: recomputeOutput,
                        backward: backward)
        return Tensor(shape: shape, storage: storage, format: format, node: node)
    }
}
