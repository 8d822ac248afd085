/// The row a report compares every other row with (`report: {reference: ROW}`, `--reference ROW`):
/// a value of one matrix axis, written `VALUE` (`ew`) when exactly one axis has it, else
/// `AXIS=VALUE` (`strategy=ew`). The seed and tuned axes cannot name a reference.
public struct ReferenceRow: Equatable, Sendable {
    public var axis: String
    public var value: String

    /// `strategy=ew`.
    public var label: String { "\(axis)=\(value)" }

    /// Resolves `text` among `axes` (axis → its values, in order); throws a `CommandError` whose
    /// message names the nearest valid rows when `text` names none, or asks for `AXIS=VALUE` when
    /// several axes have the value.
    public static func resolve(_ text: String, among axes: [(axis: String, values: [String])]) throws -> ReferenceRow {
        let candidates = axes.filter { $0.axis != "seed" && !$0.values.isEmpty }
        guard !candidates.isEmpty else {
            throw CommandError("no row can be the reference '\(text)': the suite has no matrix axis other than seed")
        }
        if let equals = text.firstIndex(of: "="), let entry = candidates.first(where: { $0.axis == String(text[..<equals]) }) {
            let value = String(text[text.index(after: equals)...])
            guard entry.values.contains(value) else {
                throw CommandError(NameSuggestion.unknown("\(entry.axis) row", value, valid: entry.values))
            }
            return ReferenceRow(axis: entry.axis, value: value)
        }
        let matching = candidates.filter { $0.values.contains(text) }
        if matching.count == 1 { return ReferenceRow(axis: matching[0].axis, value: text) }
        if matching.count > 1 {
            throw CommandError("the reference '\(text)' is a value of several matrix axes; write one of "
                               + matching.map { "\($0.axis)=\(text)" }.joined(separator: ", "))
        }
        var valid: [String] = []
        for entry in candidates {
            for value in entry.values where !valid.contains(value) { valid.append(value) }
        }
        let written = candidates.flatMap { entry in entry.values.map { "\(entry.axis)=\($0)" } }
        var message = NameSuggestion.unknown("row", text, valid: valid)
        if text.contains("="), let suggestion = NameSuggestion.nearest(to: text, in: written) {
            message = "unknown row '\(text)' — did you mean '\(suggestion)'? (valid: \(valid.joined(separator: ", ")))"
        }
        throw CommandError(message)
    }
}
