import Foundation

/// A recipe file read into a YAML tree, with `base:` includes merged and command-line
/// overrides applied — before any typed checking.
public enum RecipeDocument {
    /// Reads `path`, following `base:` (relative to the including file) up to a depth of 16.
    public static func load(_ path: String, overrides: [String] = []) throws -> YAMLNode {
        var merged = try loadWithBases(path, chain: [])
        for override in overrides { merged = try apply(override: override, to: merged) }
        return merged
    }

    static func loadWithBases(_ path: String, chain: [String]) throws -> YAMLNode {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        if chain.contains(absolute) {
            throw RecipeError(file: path, line: 1, column: 1, message: "`base:` includes form a cycle: \((chain + [absolute]).joined(separator: " → "))")
        }
        guard chain.count < 16 else { throw RecipeError(file: path, line: 1, column: 1, message: "`base:` includes nest deeper than 16 files") }
        let text = try TextInputFile.read(path, what: "the recipe")
        let node = try YAMLNode.parse(text, file: path)
        guard case let .mapping(entries, location) = node else {
            throw RecipeError(location: node.location, message: "a recipe must be a mapping of sections (dataset:, model:, strategy:, …), found \(node.kindName)")
        }
        guard let baseEntry = entries.first(where: { $0.key == "base" }) else { return node }
        guard case let .scalar(basePath, _, _) = baseEntry.value else {
            throw RecipeError(location: baseEntry.value.location, message: "`base:` must be the path of another recipe file")
        }
        let resolved = basePath.hasPrefix("/") ? basePath
            : URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(basePath).path
        guard FileManager.default.fileExists(atPath: resolved) else {
            throw RecipeError(location: baseEntry.value.location, message: "`base:` file '\(basePath)' does not exist (looked for \(resolved))")
        }
        let base = try loadWithBases(resolved, chain: chain + [absolute])
        return merge(base: base, over: .mapping(entries.filter { $0.key != "base" }, location))
    }

    /// Deep merge: mappings merge key by key (the including file wins); anything else replaces.
    static func merge(base: YAMLNode, over child: YAMLNode) -> YAMLNode {
        guard case let .mapping(baseEntries, _) = base, case let .mapping(childEntries, location) = child else { return child }
        var result = baseEntries
        var positions = Dictionary(baseEntries.enumerated().map { ($0.element.key, $0.offset) }, uniquingKeysWith: { first, _ in first })
        for entry in childEntries {
            if let index = positions[entry.key] {
                result[index] = (entry.key, entry.keyLocation, merge(base: result[index].value, over: entry.value))
            } else {
                positions[entry.key] = result.count
                result.append(entry)
            }
        }
        return .mapping(result, location)
    }

    /// The most dotted parts an override path may have (recipes nest 2–3 levels).
    public static let maximumOverrideDepth = 16

    /// Applies `a.b.c=value` (value read as YAML, so lists and numbers work), creating mappings on the way.
    /// An override is one line with one value; a path has 1…`maximumOverrideDepth` non-empty parts.
    public static func apply(override: String, to node: YAMLNode) throws -> YAMLNode {
        let shown = override.count > 80 ? String(override.prefix(80)) + "…" : override
        func fail(_ message: String) -> RecipeError { RecipeError(file: "command line", line: 1, column: 1, message: message) }
        guard let equals = override.firstIndex(of: "="), equals != override.startIndex else {
            throw fail("override '\(shown)' is not key.path=value")
        }
        if let lineBreak = override.firstIndex(where: \.isNewline) {
            let rest = override[override.index(after: lineBreak)...].prefix(40)
            throw fail("override '\(override[..<lineBreak].prefix(80))' continues on another line ('\(rest)'); give one key.path=value per argument")
        }
        let pathText = override[..<equals]
        let path = pathText.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard path.count <= maximumOverrideDepth else {
            throw fail("override path '\(String(pathText.prefix(60)))…' has \(path.count) parts; at most \(maximumOverrideDepth) are allowed")
        }
        guard !path.contains(where: { $0.isEmpty }) else {
            throw fail("override path '\(pathText)' has an empty part; write key.path=value")
        }
        let valueText = String(override[override.index(after: equals)...])
        let parsed = try YAMLNode.parse("value: \(valueText)", file: "command line (\(shown))")
        guard case let .mapping(entries, _) = parsed, entries.count == 1, let value = entries.first?.value else {
            throw fail("override '\(shown)' must give exactly one value after '='")
        }
        return try set(path[...], to: value, in: node, override: shown)
    }

    static func set(_ path: ArraySlice<String>, to value: YAMLNode, in node: YAMLNode, override: String) throws -> YAMLNode {
        guard let key = path.first else { return value }
        let location = SourceLocation(file: "command line (\(override))", line: 1, column: 1)
        var entries: [(key: String, keyLocation: SourceLocation, value: YAMLNode)] = []
        var mappingLocation = location
        switch node {
        case let .mapping(existing, where_): entries = existing; mappingLocation = where_
        case let .scalar(name, scalarLocation, _):
            // `strategy: pcgrad` then `strategy.reduction=mean`: expand the shorthand.
            entries = [("name", scalarLocation, node)]
            _ = name
        default:
            throw RecipeError(location: node.location, message: "override '\(override)': '\(key)' cannot be set inside \(node.kindName)")
        }
        if let index = entries.firstIndex(where: { $0.key == key }) {
            entries[index].value = try set(path.dropFirst(), to: value, in: entries[index].value, override: override)
        } else {
            let fresh = try set(path.dropFirst(), to: value, in: .mapping([], location), override: override)
            entries.append((key, location, fresh))
        }
        return .mapping(entries, mappingLocation)
    }
}
