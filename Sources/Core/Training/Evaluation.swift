/// Accumulates a task's metrics over an evaluation split (update per batch, read at the end).
public protocol TaskMetricAccumulator: AnyObject {
    func add(prediction: Tensor, target: Tensor)
    /// metric name → value.
    func values() -> [String: Double]
}

/// Makes a fresh accumulator for a task (nil: the task is evaluated by its loss only).
public typealias TaskMetricFactory = (TaskSpec) -> (any TaskMetricAccumulator)?

/// Evaluates `model` at `parameters` in evaluation mode on `batches`: per task the mean loss
/// (key `loss`, averaged over batches weighted by their size) and the factory's metrics.
/// `progress`: where training is (for models whose evaluation depends on it, e.g. LTB's warm-up).
public func evaluate(model: any MultiTaskModel, tasks: [TaskSpec], parameters: Parameters, buffers: Parameters,
                     batches: [Batch], metrics: TaskMetricFactory, progress: TrainingProgress? = nil) -> [String: [String: Double]] {
    var lossSums: [String: Double] = [:], counts: [String: Int] = [:]
    var accumulators: [String: any TaskMetricAccumulator] = [:]
    for task in tasks { accumulators[task.name] = metrics(task) }
    Tape.withoutRecording {
        let context = ForwardContext(parameters: parameters, buffers: buffers, isTraining: false, progress: progress)
        for batch in batches {
            let z = model.encode(batch.input, context)
            for task in tasks {
                guard let target = batch.targets[task.name] else { continue }
                let prediction = model.head(task.name, z, context)
                let size = batch.input.shape[0]
                lossSums[task.name, default: 0] += Double(task.kind.loss(prediction: prediction, target: target).scalar) * Double(size)
                counts[task.name, default: 0] += size
                accumulators[task.name]?.add(prediction: prediction, target: target)
            }
        }
    }
    var result: [String: [String: Double]] = [:]
    for task in tasks where counts[task.name] != nil {
        var values = accumulators[task.name]?.values() ?? [:]
        values["loss"] = lossSums[task.name]! / Double(counts[task.name]!)
        result[task.name] = values
    }
    return result
}
