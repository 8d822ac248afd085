/// The trainer's mini-batch: the input tensor and, for the tasks that are labelled in it, their
/// target tensors (a task without labels in the batch has no entry). TMT's auxiliary-only batches
/// simply carry no target for the primary task.
///
/// Data sets assemble their samples first as a `SampleBatch` (TandemDatasets), which keeps the
/// sample indices and per-sample label flags, and hand the trainer its `trainingBatch`.
public struct Batch {
    public var input: Tensor
    public var targets: [String: Tensor]

    public init(input: Tensor, targets: [String: Tensor]) {
        self.input = input
        self.targets = targets
    }

    public func hasLabels(for task: String) -> Bool { targets[task] != nil }
}
