/// Named tensors addressed by dotted names (`shared.conv1.weight`, `heads.depth.weight`), kept in
/// a fixed order (the order they were added). A `Parameters` value is passed into every forward
/// pass, so running a model at other parameters (a lookahead, Θ⁺) is a plain call.
///
/// It also carries the vector arithmetic strategies need: sums, scaling, dot products, and
/// flattening to one vector and back in the fixed order.
public struct Parameters: Sequence, CustomStringConvertible {
    public private(set) var names: [String] = []
    private var tensors: [String: Tensor] = [:]

    public init() {}

    public init(_ pairs: [(String, Tensor)]) {
        for (name, tensor) in pairs { self[name] = tensor }
    }

    public var count: Int { names.count }
    public var isEmpty: Bool { names.isEmpty }
    /// Total number of scalars.
    public var scalarCount: Int { names.reduce(0) { $0 + tensors[$1]!.count } }

    public func contains(_ name: String) -> Bool { tensors[name] != nil }

    public subscript(name: String) -> Tensor {
        get {
            guard let tensor = tensors[name] else {
                preconditionFailure("no parameter named '\(name)'; known: \(names.prefix(12).joined(separator: ", "))\(names.count > 12 ? ", …" : "")")
            }
            return tensor
        }
        set {
            if tensors[name] == nil { names.append(name) }
            tensors[name] = newValue
        }
    }

    public func makeIterator() -> AnyIterator<(name: String, tensor: Tensor)> {
        var index = 0
        return AnyIterator {
            guard index < names.count else { return nil }
            defer { index += 1 }
            return (names[index], tensors[names[index]]!)
        }
    }

    /// The parameters whose names start with `prefix`.
    public func filter(prefix: String) -> Parameters {
        Parameters(names.filter { $0.hasPrefix(prefix) }.map { ($0, tensors[$0]!) })
    }

    /// The parameters whose names satisfy `predicate`.
    public func filter(_ predicate: (String) -> Bool) -> Parameters {
        Parameters(names.filter(predicate).map { ($0, tensors[$0]!) })
    }

    /// These parameters with `other`'s entries added or replacing same-named ones.
    public func merging(_ other: Parameters) -> Parameters {
        var result = self
        for (name, tensor) in other { result[name] = tensor }
        return result
    }

    public func map(_ transform: (String, Tensor) -> Tensor) -> Parameters {
        Parameters(names.map { ($0, transform($0, tensors[$0]!)) })
    }

    /// Every tensor as a fresh leaf of the tape.
    public func tracked() -> Parameters { map { $1.tracked() } }
    /// Every tensor cut off from the tape.
    public var detached: Parameters { map { $1.detached } }

    public var tensorsInOrder: [Tensor] { names.map { tensors[$0]! } }

    /// All values concatenated in name order into one vector.
    public func flattened() -> Tensor {
        concat(tensorsInOrder.map { $0.reshaped([$0.count]) }, axis: 0)
    }

    /// Splits `vector` back into tensors shaped like `template`, in its name order.
    public init(unflattening vector: Tensor, like template: Parameters) {
        precondition(vector.count == template.scalarCount,
                     "unflattening needs \(template.scalarCount) values, got \(vector.count)")
        var offset = 0
        for (name, tensor) in template {
            self[name] = vector.slice(axis: 0, range: offset..<(offset + tensor.count)).reshaped(tensor.shape)
            offset += tensor.count
        }
    }

    public var description: String {
        "Parameters(\(count) tensors, \(scalarCount) values: \(names.prefix(6).joined(separator: ", "))\(count > 6 ? ", …" : ""))"
    }

    func zip(_ other: Parameters, _ combine: (Tensor, Tensor) -> Tensor) -> Parameters {
        precondition(names == other.names, "parameter sets differ: \(names.count) vs \(other.names.count) names")
        return Parameters(names.map { ($0, combine(tensors[$0]!, other.tensors[$0]!)) })
    }

    public static func + (a: Parameters, b: Parameters) -> Parameters { a.zip(b, +) }
    public static func - (a: Parameters, b: Parameters) -> Parameters { a.zip(b, -) }
    public static func * (a: Parameters, s: Float) -> Parameters { a.map { $1 * s } }
    public static func * (s: Float, a: Parameters) -> Parameters { a * s }

    /// Σ over all tensors of ⟨a, b⟩ (a scalar tensor, differentiable).
    public static func dot(_ a: Parameters, _ b: Parameters) -> Tensor {
        precondition(a.names == b.names, "dot: parameter sets differ")
        var total = Tensor(0)
        for name in a.names { total = total + TandemCore.dot(a[name], b[name]) }
        return total
    }

    /// The Euclidean norm over all tensors.
    public func norm() -> Tensor { sqrt(Parameters.dot(self, self)) }

    public static func zeros(like template: Parameters) -> Parameters { template.map { Tensor.zeros($1.shape) } }
}

/// Gradients of `output` with respect to every tensor in `parameters` (which must be tracked).
public func grad(of output: Tensor, wrt parameters: Parameters, seed: Tensor? = nil,
                 createGraph: Bool = false, retainGraph: Bool? = nil) -> Parameters {
    let gradients = grad(of: output, wrt: parameters.tensorsInOrder, seed: seed, createGraph: createGraph, retainGraph: retainGraph)
    return Parameters(Swift.zip(parameters.names, gradients).map { ($0, $1) })
}
