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
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) }
        catch { throw RecipeError(file: path, line: 1, column: 1, message: "cannot read the recipe: \(error.localizedDescription)") }
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
        for entry in childEntries {
            if let index = result.firstIndex(where: { $0.key == entry.key }) {
                result[index] = (entry.key, entry.keyLocation, merge(base: result[index].value, over: entry.value))
            } else {
                result.append(entry)
            }
        }
        return .mapping(result, location)
    }

    /// Applies `a.b.c=value` (value read as YAML, so lists and numbers work), creating mappings on the way.
    public static func apply(override: String, to node: YAMLNode) throws -> YAMLNode {
        guard let equals = override.firstIndex(of: "="), equals != override.startIndex else {
            throw RecipeError(file: "command line", line: 1, column: 1, message: "override '\(override)' is not key.path=value")
        }
        let path = override[..<equals].split(separator: ".").map(String.init)
        let valueText = String(override[override.index(after: equals)...])
        let parsed = try YAMLNode.parse("value: \(valueText)", file: "command line (\(override))")
        guard case let .mapping(entries, _) = parsed, let value = entries.first?.value else {
            throw RecipeError(file: "command line", line: 1, column: 1, message: "cannot read the value of override '\(override)'")
        }
        return try set(path[...], to: value, in: node, override: override)
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
