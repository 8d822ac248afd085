/// The trainer's forward pass in micro-batches (`TrainerConfiguration.microBatches`): every
/// training-mode forward pass of a step — the step's own, a lookahead's, the heads on another
/// representation — runs the model once per micro-batch, so that batch norm sees the same
/// micro-batches in each of them.
extension Trainer {
    /// The representation z of `input`: the encoder on each micro-batch, joined along the batch axis.
    func representation(of input: Tensor, _ context: ForwardContext) -> Tensor {
        let ranges = configuration.microBatches.ranges(batchSize: input.shape[0])
        if ranges.count == 1 { return model.encode(input, context) }
        return concat(ranges.map { model.encode(input.slice(axis: 0, range: $0), context) }, axis: 0)
    }

    /// The losses of the `tasks` that `targets` labels, from the heads on `z`: per micro-batch,
    /// L_t = Σ_s (n_s / n)·L_t(micro-batch s), summed in micro-batch order.
    func headLosses(on z: Tensor, targets: [String: Tensor], tasks: [TaskSpec], _ context: ForwardContext) -> [String: Tensor] {
        let batchSize = z.shape[0]
        let ranges = configuration.microBatches.ranges(batchSize: batchSize)
        var result: [String: Tensor] = [:]
        for task in tasks {
            guard let target = targets[task.name] else { continue }
            if ranges.count == 1 {
                result[task.name] = taskLoss(task, model.head(task.name, z, context), target)
                continue
            }
            var total: Tensor?
            for range in ranges {
                let prediction = model.head(task.name, z.slice(axis: 0, range: range), context)
                let part = taskLoss(task, prediction, target.slice(axis: 0, range: range)) * (Float(range.count) / Float(batchSize))
                total = total.map { $0 + part } ?? part
            }
            result[task.name] = total
        }
        return result
    }
}
