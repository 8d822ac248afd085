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
    /// Whether head parameter `name` (`heads.TASK.…`) is used by `encode` rather than by `head`:
    /// a task's own part of the encoder, which only that task's slice of z depends on (SegNet-MTAN's
    /// attention masks with `attention: per_task`). Its gradient reaches it through z. Default: no.
    func isEncoderSideHeadParameter(_ name: String) -> Bool
}

extension MultiTaskModel {
    public func isEncoderSideHeadParameter(_ name: String) -> Bool { false }

    /// Parameter counts: all, shared (`shared.…`) and per task, from the model's initial parameters.
    public func parameterCounts() -> (total: Int, shared: Int, heads: [String: Int]) {
        var generator = SeededGenerator(seed: 0)
        let parameters = initialParameters(generator: &generator)
        return (parameters.scalarCount, parameters.shared.scalarCount,
                Dictionary(uniqueKeysWithValues: taskNames.map { ($0, parameters.head($0).scalarCount) }))
    }

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
