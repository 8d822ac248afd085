import TandemCore

/// Inter-task transference measured over a run (Fifty et al., Fig. 1–2; TAG), STRATEGIES.md §10:
/// the per-minibatch `Z_{i→j}` that `TransferenceProbe` writes into the step records, averaged per
/// epoch, and over training as the mean of the epoch means. Rows are sources i (the task whose
/// gradient was applied), columns targets j.
public struct TaskAffinity: Equatable, Sendable {
    public var tasks: [String]
    /// Every measurement: the step, its epoch, and the matrix (NaN where a pair was not measured).
    public var measurements: [(step: Int, epoch: Int, matrix: [[Double]])]

    public static func == (a: TaskAffinity, b: TaskAffinity) -> Bool {
        a.tasks == b.tasks && a.measurements.count == b.measurements.count
            && zip(a.measurements, b.measurements).allSatisfy { $0.step == $1.step && $0.epoch == $1.epoch && $0.matrix == $1.matrix }
    }

    /// Collects the `affinity.i→j` reports of `records` (tasks in order of first appearance unless given).
    /// - Throws: `.invalidArgument` when no record carries an affinity.
    public init(records: [StepRecord], tasks: [String]? = nil) throws {
        let prefix = "affinity."
        var names = tasks ?? []
        var pairs: [(step: Int, epoch: Int, values: [(String, String, Double)])] = []
        for record in records.sorted(by: { $0.step < $1.step }) {
            var values: [(String, String, Double)] = []
            for (key, value) in record.reports.sorted(by: { $0.key < $1.key }) where key.hasPrefix(prefix) {
                let parts = key.dropFirst(prefix.count).split(separator: "→", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { continue }
                values.append((parts[0], parts[1], value))
                if tasks == nil { for part in parts where !names.contains(part) { names.append(part) } }
            }
            if !values.isEmpty { pairs.append((record.step, record.epoch, values)) }
        }
        guard !pairs.isEmpty else {
            throw StrategyMathError.invalidArgument(function: "TaskAffinity", reason: "no step record carries transference measurements (affinity.i→j)")
        }
        if tasks == nil {
            // The records' key order is alphabetical; the model's order is unknown here, keep it stable.
            names.sort()
        }
        self.tasks = names
        measurements = pairs.map { entry in
            var matrix = [[Double]](repeating: [Double](repeating: .nan, count: names.count), count: names.count)
            for (source, target, value) in entry.values {
                if let i = names.firstIndex(of: source), let j = names.firstIndex(of: target) { matrix[i][j] = value }
            }
            return (entry.step, entry.epoch, matrix)
        }
    }

    public init(tasks: [String], measurements: [(step: Int, epoch: Int, matrix: [[Double]])]) {
        self.tasks = tasks
        self.measurements = measurements
    }

    /// The epochs that have measurements, in order.
    public var epochs: [Int] { Array(Set(measurements.map(\.epoch))).sorted() }

    /// The mean matrix of each epoch's measurements (a pair never measured stays NaN).
    public var perEpoch: [(epoch: Int, matrix: [[Double]])] {
        epochs.map { epoch in (epoch, TaskAffinity.mean(measurements.filter { $0.epoch == epoch }.map(\.matrix), size: tasks.count)) }
    }

    /// Over training: the mean of the epoch means.
    public var overall: [[Double]] { TaskAffinity.mean(perEpoch.map(\.matrix), size: tasks.count) }

    /// `overall[i][j] / overall[j][j]`: each target's column divided by its self-transference, so
    /// the diagonal is 1 (the paper's Fig. 1). NaN where the self-transference is 0 or missing.
    public var normalisedBySelf: [[Double]] {
        let matrix = overall
        return matrix.indices.map { i in
            matrix.indices.map { j in matrix[j][j] != 0 && matrix[j][j].isFinite ? matrix[i][j] / matrix[j][j] : .nan }
        }
    }

    static func mean(_ matrices: [[[Double]]], size: Int) -> [[Double]] {
        (0..<size).map { i in
            (0..<size).map { j in
                let values = matrices.map { $0[i][j] }.filter { !$0.isNaN }
                return values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
            }
        }
    }
}
