import TandemCore

/// The per-task gradients of one step at one level, kept as the model's tensors (no flattening
/// into one long array): row t is task t's gradient, split into the same tensors for every task.
/// Gram matrices and combinations run tensor by tensor with Double accumulation in a fixed order,
/// so they are deterministic and cost O(T²P) reads and no copy of G.
public struct TaskGradients {
    public let taskNames: [String]
    /// Tensor names (the shared parameters' names, or `z`).
    public let tensorNames: [String]
    /// rows[t][k]: tensor k of task t's gradient.
    public let rows: [[Tensor]]

    public init(taskNames: [String], tensorNames: [String], rows: [[Tensor]]) {
        precondition(rows.count == taskNames.count && rows.allSatisfy { $0.count == tensorNames.count }, "one row of tensors per task")
        self.taskNames = taskNames
        self.tensorNames = tensorNames
        self.rows = rows
    }

    init(representation: [String: Tensor], tasks: [String], rowWeights: [String: Float]?) {
        self.init(taskNames: tasks, tensorNames: ["z"], rows: tasks.map { name in [TaskGradients.scaled(representation[name]!, rowWeights?[name])] })
    }

    init(parameters: [String: Parameters], tasks: [String], rowWeights: [String: Float]?) {
        let names = parameters[tasks[0]]!.names
        self.init(taskNames: tasks, tensorNames: names,
                  rows: tasks.map { name in parameters[name]!.tensorsInOrder.map { TaskGradients.scaled($0, rowWeights?[name]) } })
    }

    static func scaled(_ tensor: Tensor, _ weight: Float?) -> Tensor {
        guard let weight, weight != 1 else { return tensor }
        return Tape.withoutRecording { tensor * weight }
    }

    public var taskCount: Int { taskNames.count }

    /// M_ij = g_i·g_j (Double accumulation, tensor by tensor, fixed order: `GramMatrix`).
    public func gram() -> [[Double]] { GramMatrix.of(rows) }

    /// d = Σ_t w_t g_t, tensor by tensor.
    public func combine(_ weights: [Double]) -> [Tensor] {
        precondition(weights.count == taskCount, "one weight per task")
        return tensorNames.indices.map { k in
            let shape = rows[0][k].shape
            var result = [Float](repeating: 0, count: rows[0][k].count)
            for t in 0..<taskCount where weights[t] != 0 {
                let w = weights[t]
                rows[t][k].withUnsafeBufferPointer { g in
                    for index in result.indices { result[index] = Float(Double(result[index]) + w * Double(g[index])) }
                }
            }
            return Tensor(shape: shape, scalars: result)
        }
    }

    /// Each task's gradient as one flat array (for methods that act element-wise, e.g. GradDrop).
    public func flattenedRows() -> [[Float]] { rows.map { $0.flatMap(\.scalars) } }

    /// Splits a flat direction back into this level's tensors.
    public func tensors(fromFlat direction: [Float]) -> [Tensor] {
        var offset = 0
        return rows[0].map { template in
            defer { offset += template.count }
            return Tensor(shape: template.shape, scalars: Array(direction[offset..<(offset + template.count)]))
        }
    }
}
