extension StandardMetrics {
    /// Why a task's metrics are missing from `results` (its values for one split), or nil when they
    /// are there: metrics over zero valid pixels or labelled examples are undefined, so they are
    /// left out rather than reported as 0, which would read as a perfect depth or angle error.
    public static func note(for kind: TaskKind, results: [String: Double]) -> String? {
        let expected: [String]
        let what: String
        switch kind {
        case .depth: (expected, what) = (Array(DepthError.directions.keys), "no valid pixels in this split: depth errors are undefined")
        case .normals: (expected, what) = (Array(NormalError.directions.keys), "no valid pixels in this split: normal angle errors are undefined")
        case .segmentation: (expected, what) = (Array(ConfusionMatrix.directions.keys), "no labelled pixels in this split: mIoU and pixel accuracy are undefined")
        case .classification: (expected, what) = (Array(ClassificationAccuracy.directions.keys), "no labelled examples in this split: accuracy is undefined")
        case .regression: return nil
        }
        return expected.allSatisfy({ results[$0] == nil }) ? "\(what) (absent, not 0)" : nil
    }
}
