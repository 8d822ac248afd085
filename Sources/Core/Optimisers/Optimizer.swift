/// The state of an optimiser: a step counter and named per-parameter buffers (momentum, Adam's
/// moments), each a `Parameters` keyed like the parameters it belongs to.
public struct OptimizerState {
    public var step: Int
    public var buffers: [String: Parameters]

    public init(step: Int = 0, buffers: [String: Parameters] = [:]) {
        self.step = step
        self.buffers = buffers
    }
}

/// An optimiser as a pure function: `(parameters, gradients, state) → (parameters, state)`.
/// Nothing is mutated, so a strategy can simulate the real update (a lookahead) without touching
/// the real state.
public protocol Optimizer {
    func initialState(for parameters: Parameters) -> OptimizerState
    func step(parameters: Parameters, gradients: Parameters, state: OptimizerState,
              learningRate: Float) -> (parameters: Parameters, state: OptimizerState)
}

/// Applies `update` elementwise over matching tensors without recording; `update` gets the
/// element index range and raw pointers (outputs first).
@inline(__always)
func elementwiseUpdate(count: Int, _ body: (Range<Int>) -> Void) {
    Parallel.forEachChunk(count, minimumPerChunk: 65_536, body)
}

func uninitialisedLike(_ t: Tensor) -> TensorStorage { TensorStorage(count: t.count) }
