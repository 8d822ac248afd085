import CYaml
import Foundation

/// Where something is in a source file (1-based line and column).
public struct SourceLocation: Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public var description: String { "\(file):\(line):\(column)" }
}

/// A parsed YAML document: scalars, mappings (keys in file order) and sequences, each with its
/// location so every error can point at the exact spot.
public indirect enum YAMLNode: Equatable, Sendable {
    case scalar(String, SourceLocation, plain: Bool)
    case mapping([(key: String, keyLocation: SourceLocation, value: YAMLNode)], SourceLocation)
    case sequence([YAMLNode], SourceLocation)

    public var location: SourceLocation {
        switch self {
        case let .scalar(_, location, _), let .mapping(_, location), let .sequence(_, location): return location
        }
    }

    public static func == (a: YAMLNode, b: YAMLNode) -> Bool {
        switch (a, b) {
        case let (.scalar(x, _, _), .scalar(y, _, _)): return x == y
        case let (.sequence(x, _), .sequence(y, _)): return x == y
        case let (.mapping(x, _), .mapping(y, _)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// A short name of the node's kind for error messages.
    public var kindName: String {
        switch self {
        case .scalar: return "a value"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }

    /// Parses one YAML document from `text` (libyaml). Anchors and aliases are not supported.
    public static func parse(_ text: String, file: String) throws -> YAMLNode {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { throw RecipeError(file: file, line: 1, column: 1, message: "cannot initialise the YAML parser") }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { buffer -> YAMLNode in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var builder = Builder(file: file)
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    let problem = parser.problem.map { String(cString: $0) } ?? "syntax error"
                    let context = parser.context.map { " \(String(cString: $0))" } ?? ""
                    throw RecipeError(file: file, line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1,
                                      message: "YAML \(problem)\(context)")
                }
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { break }
                try builder.consume(&event)
            }
            return builder.result ?? .mapping([], SourceLocation(file: file, line: 1, column: 1))
        }
    }

    /// How deeply mappings and lists may nest in a recipe (real recipes use 3–4 levels).
    public static let maximumDepth = 64

    /// The node as canonical one-line text: mapping keys sorted, scalars quoted when not plain
    /// (so equal recipes give equal text, whatever their layout).
    public var canonicalText: String {
        switch self {
        case let .scalar(value, _, plain):
            return plain ? value : "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        case let .sequence(items, _):
            return "[" + items.map(\.canonicalText).joined(separator: ", ") + "]"
        case let .mapping(entries, _):
            return "{" + entries.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.canonicalText)" }.joined(separator: ", ") + "}"
        }
    }

    /// Builds the tree from libyaml's events in time linear in the document's size (each node is
    /// appended in place; duplicate keys are found with a set), refusing nesting deeper than
    /// `maximumDepth`.
    private struct Builder {
        struct Frame {
            var isMapping: Bool
            var location: SourceLocation
            var items: [YAMLNode] = []
            var entries: [(key: String, keyLocation: SourceLocation, value: YAMLNode)] = []
            var keys: Set<String> = []
            var pendingKey: (String, SourceLocation)?

            var node: YAMLNode { isMapping ? .mapping(entries, location) : .sequence(items, location) }
        }

        let file: String
        var stack: [Frame] = []
        var result: YAMLNode?
        var documents = 0

        init(file: String) { self.file = file }

        func location(_ mark: yaml_mark_t) -> SourceLocation {
            SourceLocation(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
        }

        mutating func consume(_ event: inout yaml_event_t) throws {
            let here = location(event.start_mark)
            switch event.type {
            case YAML_DOCUMENT_START_EVENT:
                documents += 1
                if documents > 1 { throw RecipeError(location: here, message: "a recipe file holds one YAML document; found a second") }
            case YAML_ALIAS_EVENT:
                throw RecipeError(location: here, message: "YAML aliases (*name) are not supported in recipes; use `base:` to share settings")
            case YAML_SCALAR_EVENT:
                let data = event.data.scalar
                let value = String(decoding: UnsafeBufferPointer(start: data.value, count: data.length), as: UTF8.self)
                try add(.scalar(value, here, plain: data.style == YAML_PLAIN_SCALAR_STYLE), at: here)
            case YAML_MAPPING_START_EVENT, YAML_SEQUENCE_START_EVENT:
                guard stack.count < YAMLNode.maximumDepth else {
                    throw RecipeError(location: here, message: "mappings and lists nest deeper than \(YAMLNode.maximumDepth) levels here")
                }
                if let top = stack.last, top.isMapping, top.pendingKey == nil {
                    throw RecipeError(location: here, message: "mapping keys must be plain names, not \(event.type == YAML_MAPPING_START_EVENT ? "a mapping" : "a list")")
                }
                stack.append(Frame(isMapping: event.type == YAML_MAPPING_START_EVENT, location: here))
            case YAML_MAPPING_END_EVENT, YAML_SEQUENCE_END_EVENT:
                let finished = stack.removeLast().node
                try add(finished, at: finished.location)
            default:
                break
            }
        }

        mutating func add(_ node: YAMLNode, at here: SourceLocation) throws {
            guard !stack.isEmpty else { result = node; return }
            let top = stack.count - 1
            if !stack[top].isMapping {
                stack[top].items.append(node)
            } else if let (key, keyLocation) = stack[top].pendingKey {
                stack[top].entries.append((key, keyLocation, node))
                stack[top].pendingKey = nil
            } else {
                guard case let .scalar(key, _, _) = node else {
                    throw RecipeError(location: here, message: "mapping keys must be plain names, not \(node.kindName)")
                }
                guard stack[top].keys.insert(key).inserted else {
                    throw RecipeError(location: here, message: "key '\(key)' appears twice in this mapping")
                }
                stack[top].pendingKey = (key, here)
            }
        }
    }
}

/// A problem in a recipe, at a place in a file.
public struct RecipeError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file; self.line = line; self.column = column; self.message = message
    }

    public init(location: SourceLocation, message: String) {
        self.init(file: location.file, line: location.line, column: location.column, message: message)
    }

    public var description: String { "\(file):\(line):\(column): error: \(message)" }
}
