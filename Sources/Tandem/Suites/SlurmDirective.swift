/// One `#SBATCH --option=value` line of a generated script, with the value checked first.
///
/// sbatch reads these lines itself, and every line of the script after them is run by bash, so a
/// value that held a newline would start a command of its own, and one with spaces, quotes or
/// shell metacharacters would be split or misread. A value is therefore refused — naming the
/// option and showing the value — unless it is one word of letters, digits and `-_./:,+@%=~`
/// (enough for partitions, memory sizes, time limits, log patterns and ordinary paths).
enum SlurmDirective {
    /// The characters a directive value may hold.
    static let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:,+@%=~")

    /// `#SBATCH --option=value`, or an error naming `source` (where the value came from).
    static func line(_ option: String, _ value: String, source: String) throws -> String {
        guard !value.isEmpty, value.allSatisfy(allowed.contains) else {
            let offending = value.first { !allowed.contains($0) }.map { " (it contains \(describe($0)))" } ?? " (it is empty)"
            throw CommandError("\(source) \(visible(value)) cannot be written into the Slurm script's `#SBATCH --\(option)=` line\(offending); "
                               + "only letters, digits and -_./:,+@%=~ are allowed there")
        }
        return "#SBATCH --\(option)=\(value)"
    }

    /// `text` with control characters shown as escapes, quoted, for messages.
    static func visible(_ text: String) -> String {
        "'" + text.unicodeScalars.map { $0.properties.generalCategory == .control ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined() + "'"
    }

    /// A refused character in words, for messages.
    static func describe(_ character: Character) -> String {
        switch character {
        case "\n": return "a newline"
        case "\r": return "a carriage return"
        case " ": return "a space"
        default: return character.unicodeScalars.allSatisfy({ $0.properties.generalCategory == .control })
            ? "a control character" : "'\(character)'"
        }
    }

    /// `text` as a label for a script (a job name, a comment): every character outside `allowed`,
    /// and `%` (a Slurm pattern), becomes `_`.
    static func label(_ text: String) -> String {
        String(text.map { allowed.contains($0) && $0 != "%" ? $0 : "_" })
    }

    /// A job name from a suite name (only a label in `squeue`).
    static func jobName(_ suiteName: String) -> String { "tandem-" + label(suiteName) }
}
