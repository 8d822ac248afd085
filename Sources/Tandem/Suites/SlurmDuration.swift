import Foundation

/// A Slurm time limit (`--time`): parsed from any form sbatch accepts — `M`, `M:S`, `H:M:S`,
/// `D-H`, `D-H:M`, `D-H:M:S` — and written back as `D-HH:MM:SS` or `HH:MM:SS`.
public struct SlurmDuration: Equatable, Comparable, Sendable, CustomStringConvertible {
    public var seconds: Int

    public init(seconds: Int) { self.seconds = seconds }

    public init(parsing text: String) throws {
        func fail() -> CommandError {
            CommandError("--time must be a Slurm time limit (minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS), found '\(text)'")
        }
        func number(_ part: Substring) throws -> Int {
            guard !part.isEmpty, part.count <= 7, part.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(part) else { throw fail() }
            return value
        }
        let dayParts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard dayParts.count <= 2 else { throw fail() }
        let clock = dayParts.last!.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...3).contains(clock.count) else { throw fail() }
        let values = try clock.map(number)
        var total: Int
        if dayParts.count == 2 {
            // D-H, D-H:M, D-H:M:S
            let days = try number(dayParts[0])
            total = days * 86_400 + values[0] * 3600
            if values.count > 1 { total += values[1] * 60 }
            if values.count > 2 { total += values[2] }
        } else {
            switch values.count {
            case 1: total = values[0] * 60                       // minutes
            case 2: total = values[0] * 60 + values[1]           // M:S
            default: total = values[0] * 3600 + values[1] * 60 + values[2]
            }
        }
        guard total > 0 else { throw CommandError("--time must be positive, found '\(text)'") }
        seconds = total
    }

    /// This limit times `factor`, rounded up to whole minutes.
    public func scaled(by factor: Double) -> SlurmDuration {
        SlurmDuration(seconds: Int((Double(seconds) * factor / 60).rounded(.up)) * 60)
    }

    public var description: String {
        let days = seconds / 86_400, hours = seconds / 3600 % 24, minutes = seconds / 60 % 60, rest = seconds % 60
        let clock = String(format: "%02d:%02d:%02d", hours, minutes, rest)
        return days > 0 ? "\(days)-\(clock)" : clock
    }

    public static func < (a: SlurmDuration, b: SlurmDuration) -> Bool { a.seconds < b.seconds }
}
