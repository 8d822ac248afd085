/// A model ported from a reference implementation whose parameters and buffers have names in
/// that implementation's state dict (e.g. the MTAN code's `segnet.encoder_block.0.0.weight`).
/// Weight files written with those names load into the model (`model.weights=FILE`), and
/// `tandem export --format safetensors` writes them, so weights travel to and from the reference.
public protocol ReferenceStateDictionary {
    /// The reference's name for the Tandem parameter or buffer `name`; nil if the reference has
    /// no such tensor.
    func referenceName(of name: String) -> String?
}
