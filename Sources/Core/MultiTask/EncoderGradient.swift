/// The gradient the shared encoder receives, as the encoder stage chooses to express it.
public enum EncoderGradient {
    /// Σ_t w_t L_t for the encoder (weighting methods): backpropagated once through the encoder,
    /// or summed from the per-task gradients at θ_s when those were computed anyway.
    case lossWeights([String: Float])
    /// This gradient at the representation z, backpropagated once through the encoder.
    case representation(Tensor)
    /// This gradient for the shared parameters directly.
    case sharedParameters(Parameters)
}
