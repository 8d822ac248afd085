import Foundation

/// Saving and restoring everything a run needs to continue exactly: parameters, batch-norm
/// buffers, every optimiser's state, the strategy's parameters and state (RNG included), the
/// data sampler's state, the epoch accumulators and the evaluation history.
extension Trainer {
    /// The optimiser states a checkpoint holds: one per parameter group, and the strategy's
    /// meta-parameters' (stepped with the strategy group's optimiser).
    static let optimizerStateNames = OptimizerGroups.names + ["meta"]

    struct Metadata: Codable {
        var step: Int
        var optimizerSteps: [String: Int]
        var strategyName: String
        var strategyState: StrategyState
        var dataState: StrategyState
        var epochLossSums: [String: Double]
        var epochLossCounts: [String: Int]
        var history: [EvaluationPoint]
    }

    public func checkpoint() throws -> Checkpoint {
        var tensors: [(name: String, tensor: Tensor)] = []
        for (name, tensor) in parameters { tensors.append(("parameters.\(name)", tensor)) }
        for (name, tensor) in buffers { tensors.append(("buffers.\(name)", tensor)) }
        for (name, tensor) in strategy.decoder.ownParameters { tensors.append(("strategy.\(name)", tensor)) }
        for group in Trainer.optimizerStateNames {
            for (slot, buffer) in optimizerStates[group]!.buffers.sorted(by: { $0.key < $1.key }) {
                for (name, tensor) in buffer { tensors.append(("optimizer.\(group).\(slot)|\(name)", tensor)) }
            }
        }
        let metadata = Metadata(step: step, optimizerSteps: optimizerStates.mapValues(\.step), strategyName: strategy.name,
                                strategyState: strategy.saveStrategyState(), dataState: data.saveState(),
                                epochLossSums: epochLossSums, epochLossCounts: epochLossCounts, history: history)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Checkpoint(tensors: tensors, metadata: try encoder.encode(metadata))
    }

    public func restore(from checkpoint: Checkpoint, source: String = "checkpoint") throws {
        let metadata: Metadata
        do { metadata = try JSONDecoder().decode(Metadata.self, from: checkpoint.metadata) }
        catch { throw CheckpointError(file: source, problem: "unreadable trainer state: \(error)") }
        guard metadata.strategyName == strategy.name else {
            throw CheckpointError(file: source, problem: "written by strategy '\(metadata.strategyName)', this run uses '\(strategy.name)'")
        }
        let restoredParameters = checkpoint.parameters(prefix: "parameters.")
        guard restoredParameters.names.sorted() == parameters.names.sorted() else {
            throw CheckpointError(file: source, problem: "parameters do not match this model (\(restoredParameters.count) saved, \(parameters.count) expected)")
        }
        for (name, tensor) in restoredParameters where tensor.shape != parameters[name].shape {
            throw CheckpointError(file: source, problem: "parameter '\(name)' has shape \(tensor.shape), the model expects \(parameters[name].shape)")
        }
        parameters = Parameters(parameters.names.map { ($0, restoredParameters[$0]) })
        let restoredBuffers = checkpoint.parameters(prefix: "buffers.")
        buffers = Parameters(buffers.names.map { ($0, restoredBuffers.contains($0) ? restoredBuffers[$0] : buffers[$0]) })
        let own = checkpoint.parameters(prefix: "strategy.")
        if !strategy.decoder.ownParameters.isEmpty {
            strategy.decoder.ownParameters = Parameters(strategy.decoder.ownParameters.names.map { ($0, own[$0]) })
        }
        for group in Trainer.optimizerStateNames {
            var state = OptimizerState(step: metadata.optimizerSteps[group] ?? 0)
            for (entry, tensor) in checkpoint.tensors where entry.hasPrefix("optimizer.\(group).") {
                let rest = entry.dropFirst("optimizer.\(group).".count)
                guard let bar = rest.firstIndex(of: "|") else { continue }
                let slot = String(rest[..<bar]), name = String(rest[rest.index(after: bar)...])
                state.buffers[slot, default: Parameters()][name] = tensor
            }
            optimizerStates[group] = state
        }
        try strategy.restoreStrategyState(metadata.strategyState)
        try data.restoreState(metadata.dataState)
        step = metadata.step
        epochLossSums = metadata.epochLossSums
        epochLossCounts = metadata.epochLossCounts
        history = metadata.history
    }
}
