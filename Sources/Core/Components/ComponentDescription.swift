/// What kind of component a registry entry is.
public enum ComponentKind: String, Sendable, CaseIterable {
    case strategy, model, dataset
}

/// The one place a component's name, summary, reference and options live; `tandem describe`,
/// `tandem list` and recipe checking all read it.
public struct ComponentDescription: Sendable {
    public var name: String
    public var kind: ComponentKind
    public var summary: String
    /// Paper or source the component follows.
    public var reference: String
    public var options: [OptionSpec]

    public init(name: String, kind: ComponentKind, summary: String, reference: String = "", options: [OptionSpec] = []) {
        self.name = name
        self.kind = kind
        self.summary = summary
        self.reference = reference
        self.options = options
    }

    /// A human-readable description: summary, reference and every option with type and default.
    public var documentation: String {
        var lines = ["\(name) (\(kind.rawValue)): \(summary)"]
        if !reference.isEmpty { lines.append("  reference: \(reference)") }
        if options.isEmpty {
            lines.append("  options: none")
        } else {
            lines.append("  options:")
            for option in options {
                let defaultText = option.defaultValue.map { "default \($0)" } ?? (option.isRequired ? "required" : "optional")
                lines.append("    \(option.name): \(option.type), \(defaultText) — \(option.summary)")
            }
        }
        return lines.joined(separator: "\n")
    }
}
