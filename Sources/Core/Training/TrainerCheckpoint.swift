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
        return Checkpoint(tensors: tensors, metadata: try Trainer.metadataEncoder.encode(metadata))
    }

    /// Restores a state saved by `checkpoint()`. Everything is checked before anything changes —
    /// the step range, the strategy, every parameter's, buffer's and optimiser slot's name and shape
    /// against this trainer's model, strategy and optimisers — and a mismatch throws a
    /// `CheckpointError` naming the file and the field (a run resumed with another optimiser, say),
    /// before the model's state is touched.
    /// Meta-parameters a strategy draws only once it sees data (TMT's φ needs the channel count at
    /// the bifurcation), so a fresh strategy has none yet: expected as the saved strategy state
    /// holds them (`meta.NAME` values), shaped as their saved optimiser buffers.
    func lazilyDrawnMetaParameters(_ state: StrategyState, _ checkpoint: Checkpoint, _ fail: (String) -> CheckpointError) throws -> Parameters {
        var result = Parameters()
        for (key, values) in state.numbers.sorted(by: { $0.key < $1.key }) {
            for prefix in ["decoder.meta.", "encoder.meta."] where key.hasPrefix(prefix) {
                let name = String(key.dropFirst(prefix.count))
                let saved = checkpoint.tensors.first { $0.name.hasPrefix("optimizer.meta.") && $0.name.hasSuffix("|\(name)") }?.tensor
                let shape = saved?.shape ?? [values.count]
                guard Shape.count(shape) == values.count else {
                    throw fail("meta-parameter '\(name)' has \(values.count) saved values, its optimizer state has shape \(shape)")
                }
                result[name] = Tensor.zeros(shape)
            }
        }
        return result
    }

    public func restore(from checkpoint: Checkpoint, source: String = "checkpoint") throws {
        func fail(_ problem: String) -> CheckpointError { CheckpointError(file: source, problem: problem) }
        let metadata: Metadata
        do { metadata = try Trainer.metadataDecoder.decode(Metadata.self, from: checkpoint.metadata) }
        catch { throw fail("unreadable trainer state: \(error)") }
        guard metadata.strategyName == strategy.name else {
            throw fail("written by strategy '\(metadata.strategyName)', this run uses '\(strategy.name)'")
        }
        guard metadata.step >= 0, metadata.step <= configuration.steps else {
            throw fail("step \(metadata.step) is outside this run's 0…\(configuration.steps) steps")
        }
        for (group, count) in metadata.optimizerSteps where count < 0 || count > 1 << 40 || !Trainer.optimizerStateNames.contains(group) {
            throw fail("optimizer '\(group)' step count \(count): expected one of \(Trainer.optimizerStateNames) with a count ≥ 0")
        }
        for (name, count) in metadata.epochLossCounts where count < 0 {
            throw fail("epoch loss count of '\(name)' is \(count), expected ≥ 0")
        }

        // A run never saves NaN or infinity (every step checks its losses and gradients): such a value is damage.
        for (name, tensor) in checkpoint.tensors {
            if let bad = tensor.withUnsafeBufferPointer({ $0.firstIndex { !$0.isFinite } }) {
                throw fail("tensor '\(name)' holds a non-finite value at element \(bad); the checkpoint is damaged")
            }
        }
        func matching(_ restored: Parameters, _ expected: Parameters, what: String) throws {
            guard restored.names.sorted() == expected.names.sorted() else {
                let missing = Set(expected.names).subtracting(restored.names).sorted(), extra = Set(restored.names).subtracting(expected.names).sorted()
                throw fail("\(what) do not match this run (\(restored.count) saved, \(expected.count) expected"
                           + (missing.isEmpty ? "" : "; missing \(missing.prefix(3).joined(separator: ", "))")
                           + (extra.isEmpty ? "" : "; unexpected \(extra.prefix(3).joined(separator: ", "))") + ")")
            }
            for (name, tensor) in restored where tensor.shape != expected[name].shape {
                throw fail("\(what): '\(name)' has shape \(tensor.shape), this run expects \(expected[name].shape)")
            }
        }
        let restoredParameters = checkpoint.parameters(prefix: "parameters.")
        try matching(restoredParameters, parameters, what: "model parameters")
        let restoredBuffers = checkpoint.parameters(prefix: "buffers.")
        try matching(restoredBuffers, buffers, what: "model buffers")
        let own = checkpoint.parameters(prefix: "strategy.")
        try matching(own, strategy.decoder.ownParameters, what: "strategy parameters")

        var restoredStates: [String: OptimizerState] = [:]
        for group in Trainer.optimizerStateNames {
            let setting = group == "meta" ? optimizers.strategy : optimizers[group]
            var groupParameters: Parameters
            switch group {
            case "shared": groupParameters = parameters.shared
            case "heads": groupParameters = parameters.filter(prefix: "heads.")
            case "meta":
                groupParameters = strategy.stages.reduce(Parameters()) { $0.merging($1.metaParameters) }
                if groupParameters.isEmpty { groupParameters = try lazilyDrawnMetaParameters(metadata.strategyState, checkpoint, fail) }
            default: groupParameters = strategy.decoder.ownParameters
            }
            let expected = setting.optimizer.initialState(for: groupParameters)
            var state = OptimizerState(step: metadata.optimizerSteps[group] ?? 0)
            for (entry, tensor) in checkpoint.tensors where entry.hasPrefix("optimizer.\(group).") {
                let rest = entry.dropFirst("optimizer.\(group).".count)
                guard let bar = rest.firstIndex(of: "|") else { throw fail("optimizer entry '\(entry)' lacks its slot|parameter name") }
                let slot = String(rest[..<bar]), name = String(rest[rest.index(after: bar)...])
                state.buffers[slot, default: Parameters()][name] = tensor
            }
            // A slot over no parameters (the strategy group of a strategy without parameters) saves no tensors.
            for (slot, buffer) in expected.buffers where buffer.isEmpty && state.buffers[slot] == nil { state.buffers[slot] = Parameters() }
            guard Set(state.buffers.keys) == Set(expected.buffers.keys) else {
                throw fail("the \(group) optimizer state holds \(state.buffers.keys.sorted()), this run's \(type(of: setting.optimizer)) "
                           + "keeps \(expected.buffers.keys.sorted()) (was the optimizer changed?)")
            }
            for (slot, buffer) in state.buffers { try matching(buffer, expected.buffers[slot]!, what: "\(group) optimizer slot '\(slot)'") }
            restoredStates[group] = state
        }

        // Everything checked: apply.
        do { try strategy.restoreStrategyState(metadata.strategyState) }
        catch let error as CheckpointError { throw fail(error.problem) }
        catch { throw fail("strategy state of '\(strategy.name)': \(error)") }
        do { try data.restoreState(metadata.dataState) }
        catch let error as CheckpointError { throw fail(error.problem) }
        catch { throw fail("data sampler state: \(error)") }
        parameters = Parameters(parameters.names.map { ($0, restoredParameters[$0]) })
        buffers = Parameters(buffers.names.map { ($0, restoredBuffers[$0]) })
        if !strategy.decoder.ownParameters.isEmpty {
            strategy.decoder.ownParameters = Parameters(strategy.decoder.ownParameters.names.map { ($0, own[$0]) })
        }
        for (group, state) in restoredStates { optimizerStates[group] = state }
        step = metadata.step
        epochLossSums = metadata.epochLossSums
        epochLossCounts = metadata.epochLossCounts
        history = metadata.history
    }

    /// Non-finite numbers (an infinite validation error, say) are stored as strings.
    static var metadataEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    static var metadataDecoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}
