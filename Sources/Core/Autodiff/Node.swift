/// The backward rule of one recorded op: given the gradient of the op's output, the tensors it
/// saved, and which inputs need a gradient, return one gradient per input (nil = none/zero).
///
/// Rules are written with ordinary tensor ops, so running them while recording builds a graph of
/// the backward pass itself (gradients of gradients). By convention a rule captures no tensors:
/// everything it needs is in `saved`, so the tape can release activations as it goes.
typealias BackwardRule = (_ gradient: Tensor, _ saved: [Tensor], _ needsGradient: [Bool]) -> [Tensor?]

/// One op on the tape.
final class Node {
    nonisolated(unsafe) private static var nextID = 0

    /// Creation order; a node always has a larger id than the nodes it depends on.
    let id: Int
    let opName: String
    var inputs: [Node?]
    var saved: [Tensor]
    var backward: BackwardRule?

    init(opName: String, inputs: [Node?], saved: [Tensor], backward: @escaping BackwardRule) {
        Node.nextID += 1
        id = Node.nextID
        self.opName = opName
        self.inputs = inputs
        self.saved = saved
        self.backward = backward
    }

    /// A leaf: a tensor gradients are taken with respect to.
    init(leafShape: [Int]) {
        Node.nextID += 1
        id = Node.nextID
        opName = "leaf"
        inputs = []
        saved = []
        backward = nil
    }

    var isLeaf: Bool { opName == "leaf" }

    /// Releases what this node holds.
    func release() {
        inputs = []
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

    private static func detachNodes(of tensors: inout [Tensor], into pending: inout [Node]) {
        for index in tensors.indices where isKnownUniquelyReferenced(&tensors[index]) {
            if let node = tensors[index].node {
                tensors[index].node = nil
                pending.append(node)
            }
        }
    }
}

/// The dynamic tape: whether ops are being recorded right now.
public enum Tape {
    nonisolated(unsafe) static var isRecording = true

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
    static func record(_ opName: String, shape: [Int], storage: TensorStorage, inputs: [Tensor],
                       saved: @autoclosure () -> [Tensor] = [], backward: @escaping BackwardRule) -> Tensor {
        guard isRecording, inputs.contains(where: { $0.node != nil }) else {
            return Tensor(shape: shape, storage: storage)
        }
        let node = Node(opName: opName, inputs: inputs.map { $0.node }, saved: saved(), backward: backward)
        return Tensor(shape: shape, storage: storage, node: node)
    }
}
