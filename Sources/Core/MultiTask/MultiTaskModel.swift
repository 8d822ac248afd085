/// A multi-task network: a shared encoder ending at the bifurcation z, and one head per task.
///
/// Parameter names tell shared from task-specific: shared ones start with `shared.`, the head of
/// task t with `heads.t.`. Forward passes take a `ForwardContext`, so the model runs at any
/// parameters, and the encoder and heads can be run separately — strategies take gradients at z
/// (one encoder backward) or at the shared parameters.
public protocol MultiTaskModel {
    /// Task names, in the model's fixed order.
    var taskNames: [String] { get }
    func initialParameters(generator: inout SeededGenerator) -> Parameters
    func initialBuffers() -> Parameters
    /// The shared representation z.
    func encode(_ input: Tensor, _ context: ForwardContext) -> Tensor
    /// Task `task`'s prediction from z.
    func head(_ task: String, _ representation: Tensor, _ context: ForwardContext) -> Tensor
}

extension MultiTaskModel {
    /// Every task's prediction (one encoder pass).
    public func callAsFunction(_ input: Tensor, _ context: ForwardContext) -> [String: Tensor] {
        let z = encode(input, context)
        var outputs: [String: Tensor] = [:]
        for task in taskNames { outputs[task] = head(task, z, context) }
        return outputs
    }

    public static var sharedPrefix: String { "shared." }
    public static func headPrefix(_ task: String) -> String { "heads.\(task)." }

    /// Whether `name` is a parameter of the shared encoder.
    public static func isShared(_ name: String) -> Bool { name.hasPrefix(sharedPrefix) }
}

extension Parameters {
    /// The shared-encoder parameters (names starting with `shared.`).
    public var shared: Parameters { filter(prefix: "shared.") }
    /// Task `task`'s head parameters (names starting with `heads.TASK.`).
    public func head(_ task: String) -> Parameters { filter(prefix: "heads.\(task).") }
}
