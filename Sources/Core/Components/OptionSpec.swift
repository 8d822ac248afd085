/// One documented option of a strategy, model or dataset: the single place its name, type,
/// default and meaning live; `tandem describe` and the docs read it.
public struct OptionSpec: Sendable {
    public var name: String
    public var type: OptionType
    public var defaultValue: OptionValue?
    public var summary: String
    /// Whether a recipe must give it (otherwise a missing value is its default, or "not set").
    public var isRequired: Bool

    public init(_ name: String, _ type: OptionType, default defaultValue: OptionValue?, _ summary: String, required: Bool = false) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.summary = summary
        self.isRequired = required
    }
}
