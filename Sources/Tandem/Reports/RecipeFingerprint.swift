/// A canonical text of a loaded recipe and its SHA-256: every field that decides the numbers, with
/// YAML option values as flow text, dictionaries in key order, and without source locations, the
/// recipe's file path or its output folder — so the same experiment written in another file, with
/// `base:` or with overrides, has the same fingerprint, and any change of a value changes it.
/// Built by reflection, so a field added to `Recipe` is covered without touching this file.
public enum RecipeFingerprint {
    public static func hash(_ recipe: Recipe) -> String { SHA256.hex(text(recipe)) }

    public static func text(_ recipe: Recipe) -> String {
        render(recipe, skipping: ["file", "output"])
    }

    static func render(_ value: Any, skipping: Set<String> = []) -> String {
        if value is SourceLocation { return "" }
        if let node = value as? YAMLNode { return (try? Suite.yamlText(node)) ?? "" }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            return mirror.children.first.map { render($0.value) } ?? "nil"
        case .collection, .set:
            let items = mirror.children.map { render($0.value) }
            return "[" + (mirror.displayStyle == .set ? items.sorted() : items).joined(separator: ", ") + "]"
        case .dictionary:
            return "{" + mirror.children.map { pair -> String in
                let parts = Mirror(reflecting: pair.value).children.map { render($0.value) }
                return parts.joined(separator: ": ")
            }.sorted().joined(separator: ", ") + "}"
        case .struct, .class, .tuple:
            let fields = mirror.children.compactMap { child -> String? in
                let label = child.label ?? ""
                if skipping.contains(label) || child.value is SourceLocation { return nil }
                return "\(label)=\(render(child.value))"
            }
            return "(" + fields.joined(separator: ", ") + ")"
        case .enum:
            let payload = mirror.children.map { render($0.value) }.filter { !$0.isEmpty }
            let name = "\(value)".split(separator: "(").first.map(String.init) ?? "\(value)"
            return payload.isEmpty ? name : "\(name)(" + payload.joined(separator: ", ") + ")"
        default:
            return "\(value)"
        }
    }
}
