/// The gradient the shared encoder receives, as the encoder stage chooses to express it.
public enum EncoderGradient {
    /// Σ_t w_t L_t for the encoder (weighting methods): backpropagated once through the encoder,
    /// or summed from the per-task gradients at θ_s when those were computed anyway.
    case lossWeights([String: Float])
    /// This gradient at the representation z, backpropagated once through the encoder.
    case representation(Tensor)
    /// This gradient for the shared parameters directly.
    case sharedParameters(Parameters)
    /// Gradients the strategy computed itself for the shared parameters and for some heads: the
    /// heads named in `heads` take these instead of the decoder stage's gradients (TMT's meta
    /// step trains Θ and θ_P on the primary loss at the lookahead Θ⁺); other heads keep theirs.
    case parameters(shared: Parameters, heads: Parameters)
}
