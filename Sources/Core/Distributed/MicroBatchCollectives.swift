/// The four differentiable exchanges of a step in micro-batches, in adjoint pairs:
///
///     gather     : this rank's samples → the whole batch        backward: distribute
///     distribute : the whole batch     → this rank's samples     backward: gather
///     fold       : one value per local micro-batch → Σ_s, s = 0 … S−1 in order   backward: share
///     share      : a replicated value  → one copy per local micro-batch          backward: fold
///
/// "Replicated" values (parameters, z of the batch, the task losses, everything a strategy
/// computes) are the same, bit for bit, on every rank; "local" values belong to this rank's
/// micro-batches. Every tracked replicated tensor a micro-batch's forward pass reads enters it
/// through `share`, and every result leaves it through `gather` or `fold`, so a gradient of a
/// replicated value with respect to a replicated one is itself replicated: its micro-batch parts
/// are brought together by `fold` in micro-batch order whichever rank computed them. With one
/// process these are copies and sums in the same order, which is why any process count gives
/// the same numbers. The backward rules are the adjoint collectives, so gradients of gradients
/// (TMT's meta-gradient) are distributed the same way.
///
/// Every rank must run the same sequence of collectives: the trainer runs the same program on
/// every rank, and the tape differentiates in creation order, which is the same on every rank.
public struct MicroBatchCollectives {
    public let ownership: MicroBatchOwnership

    public init(ownership: MicroBatchOwnership) { self.ownership = ownership }

    var group: ProcessGroup { ownership.group }

    /// The whole batch (n × …) from every rank's samples (this rank's: `local`, its micro-batches
    /// joined), in sample order.
    public func gather(_ local: Tensor, batchSize: Int) -> Tensor {
        let ranges = ownership.sampleRanges(batchSize: batchSize)
        precondition(local.shape.first == ranges[group.rank].count,
                     "gather: this rank computes samples \(ranges[group.rank]), got a tensor of shape \(local.shape)")
        let parts = group.allGather(local.scalars)
        let shape = [batchSize] + local.shape.dropFirst()
        let storage = TensorStorage(count: Shape.count(shape))
        var offset = 0
        for part in parts {
            part.withUnsafeBufferPointer { storage.pointer.advanced(by: offset).update(from: $0.baseAddress!, count: part.count) }
            offset += part.count
        }
        precondition(offset == storage.count, "gather: the ranks sent \(offset) values for a batch of shape \(shape)")
        return Tape.record("gather", shape: shape, storage: storage, inputs: [local]) { g, _, needs in
            [needs[0] ? self.distribute(g) : nil]
        }
    }

    /// This rank's samples of a whole-batch tensor that every rank holds.
    public func distribute(_ whole: Tensor) -> Tensor {
        let batchSize = whole.shape[0]
        let range = ownership.sampleRanges(batchSize: batchSize)[group.rank]
        let shape = [range.count] + whole.shape.dropFirst()
        return Tape.record("distribute", shape: shape, storage: ShapingKernels.slice(whole, axis: 0, range: range), inputs: [whole]) { g, _, needs in
            [needs[0] ? self.gather(g, batchSize: batchSize) : nil]
        }
    }

    /// Σ_s over all micro-batches, in order, of one value per micro-batch; `local` stacks this
    /// rank's values (L × …, its L micro-batches in order).
    public func fold(_ local: Tensor) -> Tensor {
        let rows = local.shape[0]
        let shape = Array(local.shape.dropFirst())
        let width = Shape.count(shape)
        let parts = group.allGather(local.scalars)
        let storage = TensorStorage(count: width)
        var first = true
        for part in parts {
            precondition(part.count % max(width, 1) == 0, "fold: a rank sent \(part.count) values, not rows of \(width)")
            for row in 0..<(width == 0 ? 0 : part.count / width) {
                part.withUnsafeBufferPointer { values in
                    let source = values.baseAddress! + row * width
                    if first { storage.pointer.update(from: source, count: width) } else {
                        for index in 0..<width { storage.pointer[index] += source[index] }
                    }
                }
                first = false
            }
        }
        precondition(!first || width == 0, "fold: no rank sent a micro-batch")
        return Tape.record("fold", shape: shape, storage: storage, inputs: [local]) { g, _, needs in
            [needs[0] ? self.share(g, copies: rows) : nil]
        }
    }

    /// `copies` copies of a replicated tensor, stacked (copies × …): one for each of this rank's
    /// micro-batches.
    public func share(_ replicated: Tensor, copies: Int) -> Tensor {
        let shape = [copies] + replicated.shape
        let storage = TensorStorage(count: Shape.count(shape))
        for copy in 0..<copies {
            storage.pointer.advanced(by: copy * replicated.count).update(from: replicated.pointer, count: replicated.count)
        }
        return Tape.record("share", shape: shape, storage: storage, inputs: [replicated]) { g, _, needs in
            [needs[0] ? self.fold(g) : nil]
        }
    }
}
