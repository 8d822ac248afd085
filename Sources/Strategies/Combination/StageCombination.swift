import TandemCore

/// One strategy's decoder stage with another's encoder stage (DESIGN.md §3: strategies compose
/// where the papers compose them), e.g. UW-PCGrad — uncertainty weighting trains the heads and
/// weights the task losses, PCGrad performs surgery on the gradients of those weighted losses.
public final class StageCombination: RegisteredStrategy {
    public static let description = StrategyDescription(
        name: "combination", title: "Decoder stage of one strategy, encoder stage of another",
        formula: "heads (and own parameters) trained by D_decoder(L); the encoder gets the encoder strategy's combination of the gradients of the decoder-weighted losses",
        paper: "e.g. UW-PCGrad in Fifty et al., \"Measuring and Harnessing Transference in Multi-Task Learning\" (Table 2); Yu et al., NeurIPS 2020",
        options: [
            OptionSpec("decoder", .strategy, default: .strategy(name: "uw", options: [:]), "the strategy whose decoder stage trains the heads and weights the losses"),
            OptionSpec("encoder", .strategy, default: .strategy(name: "pcgrad", options: [:]), "the strategy whose encoder stage combines the shared gradients"),
        ],
        cost: "the decoder strategy's cost plus the encoder strategy's",
        conventions: ["the name is DECODER-ENCODER (e.g. uw-pcgrad); state, meta-parameters and hooks are each stage's own"],
        behaviour: StrategyBehaviour(orderInvariant: false, scaling: .unspecified))

    public let name: String
    public let decoder: any DecoderStage
    public let encoder: any EncoderStage

    public init(decoder: any GradientCombiner, encoder: any GradientCombiner) {
        name = "\(decoder.name)-\(encoder.name)"
        self.decoder = decoder.decoder
        self.encoder = encoder.encoder
    }

    public convenience init(options: Options, context: StrategyBuildContext) throws {
        self.init(decoder: try context.nestedStrategy(options.strategy("decoder"), owner: "combination.decoder"),
                  encoder: try context.nestedStrategy(options.strategy("encoder"), owner: "combination.encoder"))
    }
}
