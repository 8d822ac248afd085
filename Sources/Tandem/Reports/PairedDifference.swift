import Foundation

/// The mean difference between two rows over the seeds both ran (a row's value minus the
/// reference row's, seed by seed), with its 95 % intervals.
///
/// Seeds pair runs: the same seed is the same initialisation and data order, so the difference of
/// a pair removes what the seed alone does. With n pairs and differences dᵢ:
/// - `mean` d̄ and `standardDeviation` s_d (divisor n − 1);
/// - `tInterval`: d̄ ± t(0.975; n − 1) · s_d / √n (`StudentT`);
/// - `bootstrapInterval`: the percentile bootstrap of d̄ (`PercentileBootstrap`);
/// - `inPooledStandardDeviations`: d̄ over √((s_row² + s_reference²) / 2), the two rows' sample
///   standard deviations over the same seeds — the difference "in sd".
///
/// With one pair there is a difference but no interval. The marker of a report follows the
/// t-interval (`tExcludesZero`); `bootstrapExcludesZero` is recorded beside it.
public struct PairedDifference: Equatable, Sendable {
    /// The seeds of the pairs, in the row's order.
    public var seeds: [String]
    /// Row minus reference, one per pair.
    public var differences: [Double]
    public var mean: Double
    /// `nil` with one pair.
    public var standardDeviation: Double?
    public var tInterval: ClosedRange<Double>?
    public var bootstrapInterval: ClosedRange<Double>?
    /// `nil` with one pair or when both rows have no spread.
    public var inPooledStandardDeviations: Double?

    public var count: Int { differences.count }
    public var tExcludesZero: Bool { tInterval.map(PairedDifference.excludesZero) ?? false }
    public var bootstrapExcludesZero: Bool { bootstrapInterval.map(PairedDifference.excludesZero) ?? false }

    static func excludesZero(_ interval: ClosedRange<Double>) -> Bool { interval.lowerBound > 0 || interval.upperBound < 0 }

    /// Pairs `row` and `reference` (seed → value) on the seeds both have, in `order`; `nil` without a
    /// common seed or when a value is not finite.
    public init?(row: [String: Double], reference: [String: Double], order: [String], bootstrap: PercentileBootstrap = PercentileBootstrap()) {
        let seeds = order.filter { row[$0] != nil && reference[$0] != nil }
        guard !seeds.isEmpty else { return nil }
        let rowValues = seeds.map { row[$0]! }, referenceValues = seeds.map { reference[$0]! }
        guard (rowValues + referenceValues).allSatisfy(\.isFinite) else { return nil }
        self.seeds = seeds
        differences = zip(rowValues, referenceValues).map { $0 - $1 }
        let summary = SampleSummary(differences)!
        mean = summary.mean
        standardDeviation = summary.standardDeviation
        if let deviation = summary.standardDeviation {
            let halfWidth = StudentT.quantile(0.975, degreesOfFreedom: Double(seeds.count - 1)) * deviation / Double(seeds.count).squareRoot()
            tInterval = (mean - halfWidth)...(mean + halfWidth)
        } else {
            tInterval = nil
        }
        bootstrapInterval = bootstrap.interval(ofMeanOf: differences)
        if let a = SampleSummary(rowValues)?.standardDeviation, let b = SampleSummary(referenceValues)?.standardDeviation {
            let pooled = ((a * a + b * b) / 2).squareRoot()
            inPooledStandardDeviations = pooled > 0 ? mean / pooled : nil
        } else {
            inPooledStandardDeviations = nil
        }
    }

    /// `+0.0300 [+0.0100, +0.0500]*` — the mean and t-interval with `decimals` digits, `marker`
    /// appended when the interval excludes 0; `+0.0300 (1 pair, no interval)` with one pair.
    public func formatted(decimals: Int, marker: String = "*") -> String {
        func signed(_ value: Double) -> String {
            let text = String(format: "%.\(decimals)f", value)
            return text.hasPrefix("-") ? text : "+" + text
        }
        guard let interval = tInterval else { return signed(mean) + " (\(count) pair, no interval)" }
        return signed(mean) + " [\(signed(interval.lowerBound)), \(signed(interval.upperBound))]" + (tExcludesZero ? marker : "")
    }
}
