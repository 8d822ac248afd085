/// The trainer's forward pass in micro-batches (`TrainerConfiguration.microBatches`, and any run
/// over several processes): every training-mode forward pass of a step — the step's own, a
/// lookahead's, the heads on another representation — runs the model once per micro-batch, on
/// the rank that owns it, so that batch norm sees the same micro-batches in each of them.
///
/// The micro-batches meet through `MicroBatchCollectives`: z of the batch is gathered from them,
/// each task's loss is folded from theirs, L_t = Σ_s (n_s / n)·L_t(micro-batch s), and the
/// parameters reach them through `share`. Without micro-batches (S = 1, one process) the model
/// runs on the whole batch directly.
extension Trainer {
    /// Whether steps run in micro-batches.
    var runsInMicroBatches: Bool { configuration.microBatches.count > 1 || processGroup.size > 1 }

    /// This rank's micro-batches of one forward pass over a batch: their sample ranges, and a
    /// forward context for each that reads the tracked parameters through `share` (and, when
    /// collecting, records batch-norm statistics in the micro-batch's own sink).
    final class MicroBatchPass {
        let batchSize: Int
        let ranges: [Range<Int>]
        let contexts: [ForwardContext]
        let statistics: [BatchNormStatisticsSink]
        /// Each tracked parameter's `share`: its copies for this rank's micro-batches, stacked.
        let shares: [String: Tensor]
        /// This rank's samples of z (its micro-batches' joined), before `gather`.
        var localRepresentation: Tensor?

        init(batchSize: Int, ranges: [Range<Int>], contexts: [ForwardContext], statistics: [BatchNormStatisticsSink], shares: [String: Tensor]) {
            self.batchSize = batchSize
            self.ranges = ranges
            self.contexts = contexts
            self.statistics = statistics
            self.shares = shares
        }
    }

    func microBatchPass(batchSize: Int, _ context: ForwardContext, collectingStatistics: Bool = false) -> MicroBatchPass {
        let ranges = collectives.ownership.localRanges(batchSize: batchSize)
        precondition(!ranges.isEmpty, "a batch of \(batchSize) samples leaves rank \(processGroup.rank) of \(processGroup.size) without a micro-batch")
        var copies = Array(repeating: [(String, Tensor)](), count: ranges.count)
        var shares: [String: Tensor] = [:]
        for (name, tensor) in context.parameters {
            guard tensor.isTracked else {
                for index in copies.indices { copies[index].append((name, tensor)) }
                continue
            }
            let stacked = collectives.share(tensor, copies: ranges.count)
            shares[name] = stacked
            for index in copies.indices {
                copies[index].append((name, stacked.slice(axis: 0, range: index..<(index + 1)).reshaped(tensor.shape)))
            }
        }
        let sinks = collectingStatistics ? ranges.map { _ in BatchNormStatisticsSink() } : []
        let contexts = copies.indices.map { index in
            ForwardContext(parameters: Parameters(copies[index]), buffers: context.buffers, isTraining: context.isTraining,
                           statistics: collectingStatistics ? sinks[index] : nil, progress: context.progress)
        }
        return MicroBatchPass(batchSize: batchSize, ranges: ranges, contexts: contexts, statistics: sinks, shares: shares)
    }

    /// The representation z of `input`: the encoder on each micro-batch, gathered along the batch axis.
    func representation(of input: Tensor, _ context: ForwardContext) -> Tensor {
        guard runsInMicroBatches else { return model.encode(input, context) }
        return representation(of: input, microBatchPass(batchSize: input.shape[0], context))
    }

    func representation(of input: Tensor, _ pass: MicroBatchPass) -> Tensor {
        let parts = zip(pass.ranges, pass.contexts).map { range, context in model.encode(input.slice(axis: 0, range: range), context) }
        let local = concat(parts, axis: 0)
        pass.localRepresentation = local
        return collectives.gather(local, batchSize: pass.batchSize)
    }

    /// The losses of the `tasks` that `targets` labels, from the heads on `z` (the whole batch's).
    func headLosses(on z: Tensor, targets: [String: Tensor], tasks: [TaskSpec], _ context: ForwardContext) -> [String: Tensor] {
        guard runsInMicroBatches else {
            var result: [String: Tensor] = [:]
            for task in tasks {
                guard let target = targets[task.name] else { continue }
                result[task.name] = taskLoss(task, model.head(task.name, z, context), target)
            }
            return result
        }
        return headLosses(on: z, targets: targets, tasks: tasks, microBatchPass(batchSize: z.shape[0], context))
    }

    /// Per micro-batch: L_t = Σ_s (n_s / n)·L_t(micro-batch s), folded in micro-batch order.
    func headLosses(on z: Tensor, targets: [String: Tensor], tasks: [TaskSpec], _ pass: MicroBatchPass) -> [String: Tensor] {
        let local = collectives.distribute(z)
        let start = pass.ranges[0].lowerBound
        var result: [String: Tensor] = [:]
        for task in tasks {
            guard let target = targets[task.name] else { continue }
            let parts = zip(pass.ranges, pass.contexts).map { range, context in
                let prediction = model.head(task.name, local.slice(axis: 0, range: (range.lowerBound - start)..<(range.upperBound - start)), context)
                let loss = taskLoss(task, prediction, target.slice(axis: 0, range: range)) * (Float(range.count) / Float(pass.batchSize))
                return loss.reshaped([1])
            }
            result[task.name] = collectives.fold(concat(parts, axis: 0))
        }
        return result
    }

    /// The batch-norm statistics of every micro-batch of the batch, in micro-batch order (each
    /// micro-batch's applications in call order), whichever rank computed them.
    func gatheredStatistics(_ pass: MicroBatchPass) -> BatchNormStatisticsSink {
        let layout = pass.statistics[0].applicationsInOrder.map { ($0.layer, $0.mean.count) }
        var payload: [Float] = []
        for sink in pass.statistics {
            let applications = sink.applicationsInOrder
            precondition(applications.map(\.layer) == layout.map(\.0), "micro-batches applied different batch-norm layers")
            for application in applications {
                payload += application.mean.scalars
                payload += application.variance.scalars
                // A count as two exact floats (high and low 12 bits of 24+): counts pass 2²⁴ on large batches.
                payload += [Float(application.count >> 12), Float(application.count & 0xFFF)]
            }
        }
        let result = BatchNormStatisticsSink()
        let width = layout.reduce(0) { $0 + 2 * $1.1 + 2 }
        guard width > 0 else { return result }
        for part in processGroup.allGather(payload) {
            precondition(part.count % width == 0, "a rank sent \(part.count) batch-norm values, not micro-batches of \(width)")
            for microBatch in 0..<(part.count / width) {
                var offset = microBatch * width
                for (layer, channels) in layout {
                    let mean = Tensor(shape: [channels], scalars: Array(part[offset..<(offset + channels)]))
                    let variance = Tensor(shape: [channels], scalars: Array(part[(offset + channels)..<(offset + 2 * channels)]))
                    let count = Int(part[offset + 2 * channels]) << 12 + Int(part[offset + 2 * channels + 1])
                    result.record(layer: layer, mean: mean, variance: variance, count: count)
                    offset += 2 * channels + 2
                }
            }
        }
        return result
    }
}
