import TandemCore

/// What every architecture wrapper shares: the encoder model it is built around, whose heads it
/// keeps, and z as the tasks' representations side by side.
///
/// z = [z_1, …, z_T] concatenated over axis 1 (each z_t has the shape of the encoder model's own
/// z); head t reads its slice, so ∂loss_t/∂z is zero outside z_t and every strategy — at z or at
/// the shared parameters — sees each task's own path. Parameters an architecture gives one task
/// (gates, task experts, attention masks) are named `heads.TASK.architecture.…`: in the task's
/// head group, used by `encode` (`isEncoderSideHeadParameter`).
struct ArchitectureHeads {
    let encoderModel: any StagedEncoderModel

    var taskNames: [String] { encoderModel.taskNames }

    /// The encoder model's head parameters (its own encoder's are not used).
    func initialParameters(generator: inout SeededGenerator) -> Parameters {
        encoderModel.initialParameters(generator: &generator).filter(prefix: "heads.")
    }

    func initialBuffers() -> Parameters { encoderModel.initialBuffers().filter(prefix: "heads.") }

    /// z from the tasks' representations, in task order.
    func representation(_ perTask: [Tensor]) -> Tensor {
        precondition(perTask.count == taskNames.count, "one representation per task")
        return perTask.count == 1 ? perTask[0] : concat(perTask, axis: 1)
    }

    /// Task `task`'s prediction from its slice of z.
    func head(_ task: String, _ representation: Tensor, _ context: ForwardContext) -> Tensor {
        guard let index = taskNames.firstIndex(of: task) else { preconditionFailure("no head '\(task)'; tasks: \(taskNames)") }
        let width = representation.shape[1] / taskNames.count
        return encoderModel.head(task, representation.slice(axis: 1, range: index * width..<(index + 1) * width), context)
    }

    /// The task whose `heads.TASK.architecture.` prefix starts `name`, and the rest of the name.
    func architectureTaskParameter(_ name: String) -> (task: String, rest: String)? {
        for task in taskNames where name.hasPrefix("heads.\(task).architecture.") {
            return (task, String(name.dropFirst("heads.\(task).architecture.".count)))
        }
        return nil
    }

    /// Whether `name` is a task's architecture parameter (used in `encode`).
    func isArchitectureTaskParameter(_ name: String) -> Bool { architectureTaskParameter(name) != nil }

    /// LibMTL's name of a parameter of a mixture of experts (MMoE, CGC, DSelect-k): a shared one
    /// is its path (`experts_shared.K.…`), a task's `MODULE.REST` is `MODULE.TASK.REST` for the
    /// listed modules, a head's is the encoder model's (`decoders.TASK.…`); nil without reference names.
    func mixtureReferenceName(of name: String, taskModules: [String]) -> String? {
        guard encoderModel is any ReferenceStateDictionary else { return nil }
        if name.hasPrefix("shared.") { return pyTorchTensorName(String(name.dropFirst("shared.".count))) }
        if let (task, rest) = architectureTaskParameter(name) {
            for module in taskModules where rest.hasPrefix(module + ".") {
                return pyTorchTensorName("\(module).\(task)." + rest.dropFirst(module.count + 1))
            }
            return nil
        }
        return referenceHeadName(of: name)
    }

    /// LibMTL's name of an encoder-model head parameter (`decoders.TASK.…`), if the encoder model has reference names.
    func referenceHeadName(of name: String) -> String? {
        guard name.hasPrefix("heads."), !isArchitectureTaskParameter(name) else { return nil }
        return (encoderModel as? any ReferenceStateDictionary)?.referenceName(of: name)
    }
}

/// LibMTL's path of a layer inside one copy of its ResNet encoder when an architecture splits the
/// copy into a stem and stages: the stem's `conv1` and `bn1` are `nn.Sequential` positions 0 and
/// 1 of level 0, `layerI.REST` is REST in level I. `inner` is the Tandem name after the copy's
/// prefix (`conv1.weight`, `layer2.0.bn1.scale`); nil for other encoders' names.
func resNetLevelPath(_ inner: String) -> (level: Int, rest: String)? {
    if inner.hasPrefix("conv1.") { return (0, "0." + inner.dropFirst("conv1.".count)) }
    if inner.hasPrefix("bn1.") { return (0, "1." + inner.dropFirst("bn1.".count)) }
    guard inner.hasPrefix("layer"), let dot = inner.firstIndex(of: "."),
          let level = Int(inner[inner.index(inner.startIndex, offsetBy: 5)..<dot]) else { return nil }
    return (level, String(inner[inner.index(after: dot)...]))
}

/// Σ_k weights[:, k] · experts[k]: each sample's mixture of the experts' outputs (weights N×K,
/// each expert N×…), as LibMTL's `einsum('ij..., ji -> j...')`.
func mixture(_ experts: [Tensor], weights: Tensor) -> Tensor {
    precondition(weights.rank == 2 && weights.shape[1] == experts.count, "mixture: \(experts.count) experts need N×\(experts.count) weights, got \(weights.shape)")
    var result: Tensor?
    for (k, expert) in experts.enumerated() {
        let column = weights.slice(axis: 1, range: k..<k + 1).reshaped([weights.shape[0]] + [Int](repeating: 1, count: expert.rank - 1))
        let term = column * expert
        result = result.map { $0 + term } ?? term
    }
    return result!
}
