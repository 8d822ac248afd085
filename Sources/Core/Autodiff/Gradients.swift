/// Reverse-mode differentiation on the tape.
///
/// Gradients of `output` with respect to `inputs` (tracked tensors: leaves made with
/// `tracked()` or intermediate results). `seed` is the cotangent of `output` (ones by default).
///
/// - `createGraph`: run the backward rules while recording, so the returned gradients are
///   themselves differentiable (gradients of gradients).
/// - `retainGraph`: keep saved activations so the graph can be differentiated again; defaults to
///   `createGraph`. Without it, each node's saved tensors are released as soon as the backward
///   pass has used them, and differentiating through a released node is an error.
///
/// Inputs the output does not depend on get zero gradients.
public func grad(of output: Tensor, wrt inputs: [Tensor], seed: Tensor? = nil,
                 createGraph: Bool = false, retainGraph: Bool? = nil) -> [Tensor] {
    let retain = retainGraph ?? createGraph
    if let seed { precondition(seed.shape == output.shape, "grad: seed shape \(seed.shape) ≠ output shape \(output.shape)") }
    guard let root = output.node else { return inputs.map { Tensor.zeros($0.shape) } }

    var targets = Set<ObjectIdentifier>()
    for input in inputs {
        precondition(input.node != nil, "grad: an input of shape \(input.shape) is not tracked; call tracked() on it before using it")
        targets.insert(ObjectIdentifier(input.node!))
    }

    // Every node reachable from the output (iterative walk: graphs can be very deep).
    var reachable: [ObjectIdentifier: Node] = [ObjectIdentifier(root): root]
    var stack = [root]
    while let node = stack.popLast() {
        for case let input? in node.inputs where reachable[ObjectIdentifier(input)] == nil {
            reachable[ObjectIdentifier(input)] = input
            stack.append(input)
        }
    }
    // Ids grow with creation, so ascending id is a topological order.
    let ordered = reachable.values.sorted { $0.id < $1.id }
    var leadsToTarget = Set<ObjectIdentifier>()
    for node in ordered {
        let key = ObjectIdentifier(node)
        if targets.contains(key) || node.inputs.contains(where: { $0 != nil && leadsToTarget.contains(ObjectIdentifier($0!)) }) {
            leadsToTarget.insert(key)
        }
    }

    var results: [ObjectIdentifier: Tensor] = [:]
    Tape.withRecording(createGraph) {
        var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): seed ?? Tensor.ones(output.shape)]
        for node in ordered.reversed() {
            let key = ObjectIdentifier(node)
            guard leadsToTarget.contains(key), let gradient = pending.removeValue(forKey: key) else { continue }
            if targets.contains(key) { results[key] = gradient }
            guard let rule = node.backward else {
                precondition(node.isLeaf || node.inputs.isEmpty,
                             "grad: the graph through '\(node.opName)' was already released by an earlier backward pass; pass retainGraph: true to the first one")
                continue
            }
            let needs = node.inputs.map { $0 != nil && leadsToTarget.contains(ObjectIdentifier($0!)) }
            guard needs.contains(true) else { continue }
            let inputGradients = rule(gradient, node.savedTensors!, needs)
            if !retain { node.releaseSaved() }
            for (index, input) in node.inputs.enumerated() where needs[index] {
                guard let input, let g = inputGradients[index] else { continue }
                let inputKey = ObjectIdentifier(input)
                if let existing = pending[inputKey] { pending[inputKey] = existing + g } else { pending[inputKey] = g }
            }
        }
    }
    return inputs.map { results[ObjectIdentifier($0.node!)] ?? Tensor.zeros($0.shape) }
}

/// The value of `function` at `inputs` and its gradients with respect to each input.
/// `function` must return a scalar (or pass `seed`).
public func valueAndGrad(at inputs: [Tensor], seed: Tensor? = nil, createGraph: Bool = false,
                         _ function: ([Tensor]) -> Tensor) -> (value: Tensor, gradients: [Tensor]) {
    let tracked = inputs.map { $0.isTracked ? $0 : $0.tracked() }
    let value = function(tracked)
    let gradients = grad(of: value, wrt: tracked, seed: seed, createGraph: createGraph)
    return (createGraph ? value : value.detached, gradients)
}

/// Vector-Jacobian product: the value of `function` at `inputs` and Jᵀ·cotangent per input.
public func vjp(at inputs: [Tensor], cotangent: Tensor, createGraph: Bool = false,
                _ function: ([Tensor]) -> Tensor) -> (value: Tensor, products: [Tensor]) {
    let (value, gradients) = valueAndGrad(at: inputs, seed: cotangent, createGraph: createGraph, function)
    return (value, gradients)
}

/// Jacobian-vector product by the double-VJP trick: with a dummy cotangent w,
/// u = ∂/∂w [ (Jᵀw)·v ] = J v. Costs two reverse passes. Returns the value and J·tangents.
/// With `createGraph` the result stays differentiable.
public func jvp(at inputs: [Tensor], tangents: [Tensor], createGraph: Bool = false,
                _ function: ([Tensor]) -> Tensor) -> (value: Tensor, product: Tensor) {
    precondition(inputs.count == tangents.count, "jvp: one tangent per input")
    return Tape.withRecording(true) {
        let tracked = inputs.map { $0.isTracked ? $0 : $0.tracked() }
        let value = function(tracked)
        let dummy = Tensor.zeros(value.shape).tracked()
        let pullbacks = grad(of: value, wrt: tracked, seed: dummy, createGraph: true)
        var pairing = dot(pullbacks[0], tangents[0])
        for index in 1..<max(1, pullbacks.count) { pairing = pairing + dot(pullbacks[index], tangents[index]) }
        let product = grad(of: pairing, wrt: [dummy], createGraph: createGraph)[0]
        return (value.detached, product)
    }
}
