import Foundation

/// Starting a run from another run's encoder (transfer learning: pre-train, then fine-tune).
extension Trainer {
    /// The shared (encoder) parameters and batch-norm buffers, as another run starts from them.
    public var encoderState: (parameters: Parameters, buffers: Parameters) {
        (parameters.shared, buffers.filter(prefix: "shared."))
    }

    /// Replaces the encoder's parameters and batch-norm buffers by `parameters` and `buffers` (the
    /// `shared.` entries of another run of the same model), before the first step; heads, the
    /// optimisers' state and everything else keep their initial values.
    ///
    /// Everything is checked before anything changes: the run must not have taken a step, and the
    /// names and shapes must be exactly this model's encoder's — a mismatch throws a
    /// `CheckpointError` naming `source` and what differs (missing or unexpected names, the first
    /// tensor of another shape), never a crash.
    public func initializeEncoder(parameters incoming: Parameters, buffers incomingBuffers: Parameters, source: String) throws {
        func fail(_ problem: String) -> CheckpointError { CheckpointError(file: source, problem: problem) }
        guard step == 0 else {
            throw fail("an encoder can only be loaded before the first step; this run is at step \(step)")
        }
        let (expectedParameters, expectedBuffers) = encoderState
        for (what, given, expected) in [("encoder parameters", incoming, expectedParameters), ("encoder buffers", incomingBuffers, expectedBuffers)] {
            let missing = Set(expected.names).subtracting(given.names).sorted(), extra = Set(given.names).subtracting(expected.names).sorted()
            if !missing.isEmpty || !extra.isEmpty {
                throw fail("\(what) do not match this run's model (\(given.count) saved, \(expected.count) expected"
                           + (missing.isEmpty ? "" : "; missing \(missing.prefix(3).joined(separator: ", "))\(missing.count > 3 ? ", …" : "")")
                           + (extra.isEmpty ? "" : "; unexpected \(extra.prefix(3).joined(separator: ", "))\(extra.count > 3 ? ", …" : "")")
                           + "): was it written for another model or split?")
            }
            for name in expected.names where given[name].shape != expected[name].shape {
                throw fail("\(what): '\(name)' has shape \(given[name].shape), this run's model expects \(expected[name].shape) (another model width or split?)")
            }
            for (name, tensor) in given {
                if let bad = tensor.withUnsafeBufferPointer({ $0.firstIndex { !$0.isFinite } }) {
                    throw fail("\(what): '\(name)' holds a non-finite value at element \(bad); the file is damaged")
                }
            }
        }
        parameters = parameters.merging(Parameters(expectedParameters.names.map { ($0, incoming[$0]) }))
        buffers = buffers.merging(Parameters(expectedBuffers.names.map { ($0, incomingBuffers[$0]) }))
    }

    /// Replaces every model parameter and batch-norm buffer by `parameters` and `buffers` (a
    /// weights file, `model.weights=FILE`, read by `ModelWeights.load`), before the first step; the
    /// optimisers' and the strategy's state keep their initial values. The run must not have
    /// taken a step, the names must be exactly the model's, and no value may be NaN or infinite
    /// (a `CheckpointError` naming `source` says which).
    public func initializeWeights(parameters incoming: Parameters, buffers incomingBuffers: Parameters, source: String) throws {
        func fail(_ problem: String) -> CheckpointError { CheckpointError(file: source, problem: problem) }
        guard step == 0 else { throw fail("weights can only be loaded before the first step; this run is at step \(step)") }
        guard Set(incoming.names) == Set(parameters.names), Set(incomingBuffers.names) == Set(buffers.names) else {
            throw fail("the weights do not name exactly this model's parameters and buffers")
        }
        for (name, tensor) in incoming.merging(incomingBuffers) {
            if let bad = tensor.withUnsafeBufferPointer({ $0.firstIndex { !$0.isFinite } }) {
                throw fail("'\(name)' holds a non-finite value at element \(bad)")
            }
        }
        parameters = Parameters(parameters.names.map { ($0, incoming[$0]) })
        buffers = Parameters(buffers.names.map { ($0, incomingBuffers[$0]) })
    }
}
