import Foundation

/// Every row of the comparison table against a reference row (`ReportOptions.reference`): the
/// paired difference of each column, and each row's mean rank over the suite's settings.
///
/// - **Settings** are the combinations of the other axes the reference row varies over (every
///   non-seed axis of the reference row's groups except the reference axis that other rows have
///   too, e.g. `model.split`; an axis only the reference rows have, like an included Primary only
///   row's `tasks:`, is not one); a suite whose reference row has no such axis has one setting. A
///   row belongs to the setting
///   its values on those axes name; a row without a reference in its setting (an included row that
///   lacks a setting axis, say) gets neither differences nor a rank.
/// - **Paired differences** (`PairedDifference`): per column (each task's headline metric, both
///   Δ_MTL conventions, the task-summary columns), the row's cells minus the reference row's cells
///   of the same setting, seed by seed over the seeds both ran.
/// - **Ranks**: within each setting the rows (the reference included) are ranked by Δ_MTL over
///   metrics — or by the headline metric when the table has one task — 1 for the best, ties sharing
///   the mean of their ranks (`AverageRanks`); a row's mean rank is the mean of its method's ranks
///   over the settings (a method is a row's coordinates without the setting axes).
public struct ReferenceComparison: Equatable {
    /// One table row's comparison.
    public struct Entry: Equatable {
        /// The table row's label (`strategy=uw, model.split=1`).
        public var row: String
        /// The row's non-seed coordinates (`strategy` → `uw`).
        public var coordinates: [String: String]
        /// The label without the setting axes (`strategy=uw`): what the mean rank is of.
        public var method: String
        /// The setting axes' values (`model.split=1`); empty when the suite has one setting.
        public var setting: String
        public var isReference: Bool
        /// The reference row of this row's setting; `nil` when its setting has none.
        public var referenceRow: String?
        /// Column → the paired difference against the reference row (none for the reference itself).
        public var differences: [ComparisonTable.Column: PairedDifference]
        /// The rank within the setting; `nil` when unranked.
        public var rank: Double?
        /// The method's mean rank over the settings it is ranked in (`rankedSettings` of them).
        public var meanRank: Double?
        public var rankedSettings: Int
    }

    public var reference: ReferenceRow
    /// The axes that make a setting, in the order of the reference row's coordinates.
    public var settingAxes: [String]
    /// The reference row's settings, in table order.
    public var settings: [String]
    /// The column ranks are by; `nil` when the table has neither Δ_MTL nor a single task.
    public var rankedBy: ComparisonTable.Column?
    /// One per row of the table, in its order.
    public var entries: [Entry]
    /// The columns compared, in table order.
    public var columns: [ComparisonTable.Column]
    /// The interval resampling (`PercentileBootstrap`), for the notes.
    public var bootstrap: PercentileBootstrap

    /// Compares `rows` (the table's, one per group of `groups`, in the same order) with `reference`.
    init(reference: ReferenceRow, groups: [CellGroup], rows: [ComparisonTable.Row], columns: [ComparisonTable.Column],
         rankedBy: (column: ComparisonTable.Column, higherIsBetter: Bool)?, bootstrap: PercentileBootstrap = PercentileBootstrap()) {
        precondition(groups.count == rows.count, "one table row per group")
        let referenceIndices = groups.indices.filter { groups[$0].value(of: reference.axis) == reference.value }
        // A setting axis is one the reference row varies over that other rows have too; an axis
        // only the reference rows have (an included Primary only row's `tasks:`) says how the
        // reference is built, not where it stands.
        let others = groups.indices.filter { groups[$0].value(of: reference.axis) != reference.value }
        var settingAxes: [String] = []
        for index in referenceIndices {
            for coordinate in groups[index].coordinates where coordinate.axis != reference.axis && !settingAxes.contains(coordinate.axis)
                && others.contains(where: { groups[$0].value(of: coordinate.axis) != nil }) {
                settingAxes.append(coordinate.axis)
            }
        }
        func setting(_ group: CellGroup) -> String {
            group.coordinates.filter { settingAxes.contains($0.axis) }.map { "\($0.axis)=\($0.value)" }.joined(separator: ", ")
        }
        func method(_ group: CellGroup) -> String {
            let rest = group.coordinates.filter { !settingAxes.contains($0.axis) }
            return rest.isEmpty ? "base recipe" : rest.map { "\($0.axis)=\($0.value)" }.joined(separator: ", ")
        }
        var referenceBySetting: [String: Int] = [:]
        var settings: [String] = []
        for index in referenceIndices where referenceBySetting[setting(groups[index])] == nil {
            referenceBySetting[setting(groups[index])] = index
            settings.append(setting(groups[index]))
        }

        var entries = groups.indices.map { index -> Entry in
            let group = groups[index], key = setting(group)
            let referenceIndex = referenceBySetting[key]
            var differences: [ComparisonTable.Column: PairedDifference] = [:]
            if let referenceIndex, referenceIndex != index {
                for column in columns {
                    guard let values = rows[index].seedValues[column], let referenceValues = rows[referenceIndex].seedValues[column] else { continue }
                    differences[column] = PairedDifference(row: values, reference: referenceValues, order: group.seeds, bootstrap: bootstrap)
                }
            }
            return Entry(row: rows[index].label, coordinates: Dictionary(uniqueKeysWithValues: group.coordinates.map { ($0.axis, $0.value) }), method: method(group), setting: key, isReference: referenceIndex == index,
                         referenceRow: referenceIndex.map { rows[$0].label }, differences: differences, rank: nil, meanRank: nil, rankedSettings: 0)
        }

        if let rankedBy {
            func value(_ row: ComparisonTable.Row) -> Double? {
                switch rankedBy.column {
                case .task(let task): return row.headlines[task]?.mean
                case .deltaOverMetrics: return row.deltaOverMetrics?.mean
                case .deltaOverTasks: return row.deltaOverTasks?.mean
                case .summaryMean: return row.summaryMean?.mean
                case .summaryWorst: return row.summaryWorst?.mean
                }
            }
            for key in settings {
                let members = entries.indices.filter { entries[$0].setting == key && entries[$0].referenceRow != nil }
                    .compactMap { index in value(rows[index]).flatMap { $0.isFinite ? (index, $0) : nil } }
                let ranks = AverageRanks.ranks(of: members.map(\.1), higherIsBetter: rankedBy.higherIsBetter)
                for (member, rank) in zip(members, ranks) { entries[member.0].rank = rank }
            }
            var byMethod: [String: [Double]] = [:]
            for entry in entries { if let rank = entry.rank { byMethod[entry.method, default: []].append(rank) } }
            for index in entries.indices {
                guard entries[index].rank != nil, let ranks = byMethod[entries[index].method] else { continue }
                entries[index].meanRank = ranks.reduce(0, +) / Double(ranks.count)
                entries[index].rankedSettings = ranks.count
            }
        }
        self.reference = reference
        self.settingAxes = settingAxes
        self.settings = settings
        self.rankedBy = rankedBy?.column
        self.entries = entries
        self.columns = columns
        self.bootstrap = bootstrap
    }

    /// What the comparison shows and leaves out, under the table; `names` titles a column.
    func notes(split: String, names: (ComparisonTable.Column) -> String) -> [String] {
        guard !settings.isEmpty else {
            return ["Paired differences: none — no finished cells of the reference row \(reference.label)."]
        }
        let settingText = settingAxes.isEmpty ? "" : " of the same setting (\(settingAxes.joined(separator: ", ")))"
        var notes = [
            "Paired differences against \(reference.label)\(settingText): row − reference, \(split) values seed by seed over the seeds both ran "
            + "(same seed = same initialisation and data order); mean [95 % t-interval, d̄ ± t(0.975; n − 1)·s_d/√n]; "
            + "* marks a t-interval that excludes 0; one pair gives the difference without an interval. "
            + "report.md, results.csv and results.jsonl add the percentile-bootstrap interval (\(bootstrap.resamples) resamples, seed \(bootstrap.seed)) "
            + "and the difference in pooled sd.",
        ]
        var disagreements: [String] = []
        for entry in entries {
            for column in columns {
                guard let difference = entry.differences[column], difference.tInterval != nil,
                      difference.tExcludesZero != difference.bootstrapExcludesZero else { continue }
                disagreements.append("\(entry.row) \(names(column)) (\(difference.bootstrapExcludesZero ? "bootstrap excludes 0, t does not" : "t excludes 0, bootstrap does not"))")
            }
        }
        if !disagreements.isEmpty { notes.append("The bootstrap interval disagrees with the t-interval for " + disagreements.joined(separator: "; ") + ".") }
        let unpaired = entries.filter { $0.referenceRow == nil }.map(\.row)
        if !unpaired.isEmpty {
            notes.append("No reference row in the setting of \(unpaired.joined(separator: "; ")): no paired differences or rank.")
        }
        if let rankedBy {
            let count = settings.count
            notes.append("mean rank: each row's rank by \(names(rankedBy)) among the rows of its setting (1 = best, ties share the mean of their ranks), "
                         + (count == 1 ? "in the suite's one setting." : "averaged over the \(count) settings of its method."))
            var partial: [String] = []
            for entry in entries where entry.rank != nil && entry.rankedSettings < count {
                let text = "\(entry.method) (\(entry.rankedSettings))"
                if !partial.contains(text) { partial.append(text) }
            }
            if !partial.isEmpty {
                notes.append("Ranked in fewer than \(count) settings (a mean over those only): " + partial.joined(separator: ", ") + ".")
            }
        } else {
            notes.append("mean rank: — because the table has neither Δ_MTL (no baselines) nor a single task to rank by.")
        }
        return notes
    }

    /// The compact table: a line per row other than the reference, each column's mean and t-interval.
    /// `titles` gives each shown column's title and decimals (columns without any difference, such
    /// as Δ_MTL without baselines, are left out); `marker` follows an interval that excludes 0.
    func grid(titles: [(column: ComparisonTable.Column, title: String, decimals: Int)], marker: String) -> [[String]] {
        let titles = titles.filter { title in entries.contains { $0.differences[title.column] != nil } }
        var grid = [["vs \(reference.label)", "pairs"] + titles.map { "\($0.title) Δ [95% t]" }]
        for entry in entries where !entry.isReference && entry.referenceRow != nil {
            let pairs = entry.differences.values.map(\.count).max()
            grid.append([entry.row, pairs.map(String.init) ?? "0"]
                        + titles.map { entry.differences[$0.column]?.formatted(decimals: $0.decimals, marker: marker) ?? "—" })
        }
        return grid
    }

    /// The long table for report.md: a line per row and column, both intervals and the size in pooled sd.
    func detailGrid(titles: [(column: ComparisonTable.Column, title: String, decimals: Int)]) -> [[String]] {
        var grid = [["row", "column", "pairs", "Δ", "95% t-interval", "95% bootstrap", "Δ in pooled sd", "t excludes 0", "bootstrap excludes 0"]]
        func interval(_ range: ClosedRange<Double>?, _ decimals: Int) -> String {
            range.map { String(format: "[%+.\(decimals)f, %+.\(decimals)f]", $0.lowerBound, $0.upperBound) } ?? "—"
        }
        for entry in entries where !entry.isReference {
            for (column, title, decimals) in titles {
                guard let difference = entry.differences[column] else { continue }
                let noInterval = difference.tInterval == nil
                grid.append([entry.row, title, "\(difference.count)", String(format: "%+.\(decimals)f", difference.mean),
                             interval(difference.tInterval, decimals), interval(difference.bootstrapInterval, decimals),
                             difference.inPooledStandardDeviations.map { String(format: "%+.2f", $0) } ?? "—",
                             noInterval ? "—" : (difference.tExcludesZero ? "yes" : "no"),
                             noInterval ? "—" : (difference.bootstrapExcludesZero ? "yes" : "no")])
            }
        }
        return grid
    }
}
