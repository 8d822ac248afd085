import TandemCore

/// The cross-batch matrix `A = J_ξ J_ξ'ᵀ` of the task gradients of two further, independently
/// drawn training batches at this step's shared parameters (SDMGrad, MoDo): unbiased for the Gram
/// matrix of the expected gradients, where one batch's `J Jᵀ` is biased. Needs
/// `[.extraForwardPasses, .secondBatch]`; costs two forward passes and 2T backwards.
enum CrossBatchGram {
    /// A (T×T, not symmetric in general), tasks in the order of `names`, the gradients flattened in
    /// the order of `tensorNames` (a task the batch does not label has a zero row).
    static func matrix(names: [String], tensorNames: [String], context: StepContext, strategy: String) throws -> [[Double]] {
        let first = try taskGradients(try context.secondBatch(), names: names, tensorNames: tensorNames, context: context, strategy: strategy)
        let second = try taskGradients(try context.secondBatch(), names: names, tensorNames: tensorNames, context: context, strategy: strategy)
        return names.indices.map { i in
            names.indices.map { j in zip(first[i], second[j]).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } }
        }
    }

    static func taskGradients(_ batch: Batch, names: [String], tensorNames: [String], context: StepContext, strategy: String) throws -> [[Float]] {
        let tracked = context.parameters.filter { $0.hasPrefix("shared.") }.tracked()
        for tensor in tensorNames where !tracked.names.contains(tensor) {
            throw StrategyContractError(strategy: strategy, problem: "no shared parameter '\(tensor)' to differentiate on the extra batch")
        }
        let losses = try context.losses(at: tracked, batch: batch)
        let width = tensorNames.reduce(0) { $0 + tracked[$1].count }
        return names.map { name in
            guard let loss = losses[name] else { return [Float](repeating: 0, count: width) }
            let g = grad(of: loss, wrt: tracked, retainGraph: true)
            return tensorNames.flatMap { g[$0].scalars }
        }
    }
}
