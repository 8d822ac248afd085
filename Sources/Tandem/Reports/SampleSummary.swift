import Foundation

/// The mean, sample standard deviation and standard error of a few values (one per seed).
public struct SampleSummary: Equatable, Sendable {
    public var count: Int
    public var mean: Double
    /// The sample standard deviation (divisor n − 1); `nil` for a single value.
    public var standardDeviation: Double?

    /// Summarises `values`; `nil` when there are none.
    public init?(_ values: [Double]) {
        guard !values.isEmpty else { return nil }
        count = values.count
        mean = values.reduce(0, +) / Double(values.count)
        if values.count > 1 {
            let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            standardDeviation = (squares / Double(values.count - 1)).squareRoot()
        } else {
            standardDeviation = nil
        }
    }

    /// The standard error of the mean, standard deviation / √n; `nil` for a single value.
    public var standardError: Double? { standardDeviation.map { $0 / Double(count).squareRoot() } }

    /// The spread `spread` asks for.
    public func spread(_ spread: ReportOptions.Spread) -> Double? {
        spread == .standardDeviation ? standardDeviation : standardError
    }

    /// `mean ± spread` with `decimals` digits after the point (`mean` alone for one value); `signed`
    /// writes a leading `+` on positive means.
    public func formatted(decimals: Int, signed: Bool = false, spread: ReportOptions.Spread = .standardDeviation) -> String {
        var text = String(format: "%.\(decimals)f", mean)
        if signed, !text.hasPrefix("-") { text = "+" + text }
        if let value = self.spread(spread) { text += " ± " + String(format: "%.\(decimals)f", value) }
        return text
    }
}
