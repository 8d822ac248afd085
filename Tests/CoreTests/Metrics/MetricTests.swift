import Foundation
import XCTest
import TandemCore

/// Hand-computed cases for every metric (values worked out in the comments).
final class MetricTests: XCTestCase {
    // targets [0,0,1,1,2,−1], predictions [0,1,1,1,0,2]:
    // counts t0→p0 1, t0→p1 1, t1→p1 2, t2→p0 1 (the −1 pixel is ignored); pixel accuracy 3/5.
    // IoU0 = 1/(2+2−1) = 1/3, IoU1 = 2/(2+3−2) = 2/3, IoU2 = 0/(1+0−0) = 0 → mIoU = 1/3.
    let targets: [Float] = [0, 0, 1, 1, 2, -1]
    let predicted: [Int] = [0, 1, 1, 1, 0, 2]

    /// Scores [1, C, 2, 3] whose arg-max over C is `predicted`.
    func scores(classCount: Int) -> [Float] {
        var s = [Float](repeating: 0, count: classCount * 6)
        for (i, p) in predicted.enumerated() { s[p * 6 + i] = 2 }
        return s
    }

    func testConfusionMatrixHandComputed() throws {
        var matrix = ConfusionMatrix(classCount: 3)
        try matrix.update(prediction: Tensor(shape: [1, 3, 2, 3], scalars: scores(classCount: 3)),
                          target: Tensor(shape: [1, 2, 3], scalars: targets))
        XCTAssertEqual(matrix.count(target: 0, prediction: 1), 1)
        XCTAssertEqual(matrix.count(target: 2, prediction: 0), 1)
        XCTAssertEqual(matrix.pixelAccuracy, 0.6, accuracy: 1e-12)
        XCTAssertEqual(matrix.intersectionOverUnion[0]!, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(matrix.intersectionOverUnion[1]!, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(matrix.intersectionOverUnion[2]!, 0, accuracy: 1e-12)
        XCTAssertEqual(matrix.results["mIoU"]!, 1.0 / 3, accuracy: 1e-12)
    }

    func testConfusionMatrixAccumulatesOverTheSplitAndSkipsAbsentClasses() throws {
        // The same pixels split into two batches, with a fourth class that never occurs.
        var matrix = ConfusionMatrix(classCount: 4)
        try matrix.update(predictedLabels: predicted[0..<2].map { Int32($0) }, targets: targets[0..<2].map { Int32($0) })
        try matrix.update(predictedLabels: predicted[2...].map { Int32($0) }, targets: targets[2...].map { Int32($0) })
        XCTAssertNil(matrix.intersectionOverUnion[3])
        XCTAssertEqual(matrix.meanIntersectionOverUnion, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(matrix.pixelAccuracy, 0.6, accuracy: 1e-12)
        // Per-image averaging would differ: batch 1 alone has accuracy 1/2, batch 2 has 2/3.
        XCTAssertThrowsError(try matrix.update(predictedLabels: [7], targets: [1]))
        XCTAssertThrowsError(try matrix.update(scores: [0, 1], shape: [1, 2], targets: [0]))
    }

    func testDepthErrorHandComputed() throws {
        // valid pixels (target ≠ 0): |2.5−2| = 0.5, |3−4| = 1, |1−1| = 0 → abs 1.5/3 = 0.5;
        // rel 0.5/2 + 1/4 + 0 = 0.5 → 0.5/3. The invalid pixel's error (7) is ignored.
        var pooled = DepthError()
        try pooled.update(predictions: [2.5, 7], targets: [2, 0])
        try pooled.update(prediction: Tensor(shape: [1, 1, 1, 2], scalars: [3, 1]), target: Tensor(shape: [1, 1, 1, 2], scalars: [4, 1]))
        XCTAssertEqual(pooled.results["absError"]!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(pooled.results["relError"]!, 0.5 / 3, accuracy: 1e-12)
        XCTAssertEqual(pooled.results["absError100"]!, 50, accuracy: 1e-9)
        // MTAN's batch averaging: batch 1 abs 0.5, rel 0.25; batch 2 abs 0.5, rel 0.125.
        var batches = DepthError(averaging: .batches)
        try batches.update(predictions: [2.5, 7], targets: [2, 0])
        try batches.update(predictions: [3, 1], targets: [4, 1])
        XCTAssertEqual(batches.absoluteError, 0.5, accuracy: 1e-12)
        XCTAssertEqual(batches.relativeError, 0.1875, accuracy: 1e-12)
        XCTAssertThrowsError(try pooled.update(predictions: [1], targets: [1, 2]))
    }

    func testNormalErrorHandComputed() throws {
        // Targets (0,0,1) at 4 pixels plus one invalid (0,0,0) pixel. Predictions at 0°, 45°
        // (unnormalised (1,0,1)), 10° and 20°: mean 18.75, median (10+20)/2 = 15,
        // < 11.25°: 2/4, < 22.5°: 3/4, < 30°: 3/4.
        func rotated(_ degrees: Double) -> (Float, Float, Float) {
            let r = degrees * Double.pi / 180
            return (0, Float(sin(r)), Float(cos(r)))
        }
        let p = [(Float(0), Float(0), Float(1)), (1, 0, 1), rotated(10), rotated(20), (1, 0, 0)]
        let t: [(Float, Float, Float)] = [(0, 0, 1), (0, 0, 1), (0, 0, 1), (0, 0, 1), (0, 0, 0)]
        func planes(_ v: [(Float, Float, Float)]) -> [Float] { v.map(\.0) + v.map(\.1) + v.map(\.2) }
        var metric = NormalError()
        try metric.update(prediction: Tensor(shape: [1, 3, 1, 5], scalars: planes(p)), target: Tensor(shape: [1, 3, 1, 5], scalars: planes(t)))
        let r = metric.results
        XCTAssertEqual(r["angleMean"]!, 18.75, accuracy: 1e-4)
        XCTAssertEqual(r["angleMedian"]!, 15, accuracy: 1e-4)
        XCTAssertEqual(r["within11.25"]!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(r["within22.5"]!, 0.75, accuracy: 1e-12)
        XCTAssertEqual(r["within30"]!, 0.75, accuracy: 1e-12)
    }

    func testNormalErrorThresholdsAreStrictAndBatchesAverage() {
        var metric = NormalError(averaging: .batches)
        metric.add([11.25, 30])      // batch 1: mean 20.625, median 20.625, within 0, 1/2, 1/2... strict: 30 is not < 30
        metric.add([1, 2, 3])        // batch 2: mean 2, median 2, within 1, 1, 1
        let r = metric.results
        XCTAssertEqual(r["angleMean"]!, (20.625 + 2) / 2, accuracy: 1e-12)
        XCTAssertEqual(r["angleMedian"]!, (20.625 + 2) / 2, accuracy: 1e-12)
        XCTAssertEqual(r["within11.25"]!, (0 + 1) / 2, accuracy: 1e-12)
        XCTAssertEqual(r["within22.5"]!, (0.5 + 1) / 2, accuracy: 1e-12)
        XCTAssertEqual(r["within30"]!, (0.5 + 1) / 2, accuracy: 1e-12)
        var pooled = NormalError()
        pooled.add([11.25, 30])
        pooled.add([1, 2, 3])
        XCTAssertEqual(pooled.results["angleMedian"]!, 3, accuracy: 1e-6)   // sorted 1 2 3 11.25 30
        XCTAssertEqual(pooled.results["within11.25"]!, 3.0 / 5, accuracy: 1e-12)
    }

    func testClassificationAccuracyHandComputed() throws {
        // arg-max: row 0 → 1 (correct), row 1 → 0 (wrong, target 1), row 2 is ignored (−1); ties pick the first.
        var metric = ClassificationAccuracy()
        try metric.update(prediction: Tensor(shape: [3, 2], scalars: [0.1, 0.9, 0.8, 0.2, 0.5, 0.5]),
                          target: Tensor(shape: [3], scalars: [1, 1, -1]))
        XCTAssertEqual(metric.results["accuracy"]!, 0.5, accuracy: 1e-12)
        try metric.update(scores: [0.5, 0.5], shape: [1, 2], targets: [0])
        XCTAssertEqual(metric.accuracy, 2.0 / 3, accuracy: 1e-12)
        XCTAssertThrowsError(try metric.update(scores: [1, 2, 3], shape: [1, 3], targets: [0, 1]))
    }
}

final class MetricDeltaMTLTests: XCTestCase {
    func testDeltaHandComputed() throws {
        // mIoU 0.44 vs 0.40 (higher better): +0.1; absError 0.6 vs 0.5 (lower better): −0.2 → Δ = −0.05.
        let directions: [String: MetricDirection] = ["mIoU": .higherIsBetter, "absError": .lowerIsBetter]
        let delta = try MultiTaskDelta.compute(model: ["mIoU": 0.44, "absError": 0.6, "unused": 3],
                                               baseline: ["mIoU": 0.4, "absError": 0.5], directions: directions)
        XCTAssertEqual(delta, -0.05, accuracy: 1e-12)
        let terms = try MultiTaskDelta.terms(model: ["mIoU": 0.44, "absError": 0.6], baseline: ["mIoU": 0.4, "absError": 0.5],
                                             directions: directions)
        XCTAssertEqual(terms["mIoU"]!, 0.1, accuracy: 1e-12)
        XCTAssertEqual(terms["absError"]!, -0.2, accuracy: 1e-12)
        // Equal to the baseline → 0.
        XCTAssertEqual(try MultiTaskDelta.compute(model: ["mIoU": 0.4], baseline: ["mIoU": 0.4], directions: directions), 0)
    }

    func testDeltaRejectsMissingValuesAndZeroBaselines() {
        let directions: [String: MetricDirection] = ["mIoU": .higherIsBetter]
        XCTAssertThrowsError(try MultiTaskDelta.compute(model: [:], baseline: ["mIoU": 0.4], directions: directions))
        XCTAssertThrowsError(try MultiTaskDelta.compute(model: ["mIoU": 0.4], baseline: ["mIoU": 0], directions: directions))
        XCTAssertThrowsError(try MultiTaskDelta.compute(model: ["x": 1], baseline: ["x": 1], directions: directions))
        XCTAssertThrowsError(try MultiTaskDelta.compute(model: [:], baseline: [:], directions: directions))
    }

    func testMetricDirectionsCoverResults() throws {
        var confusion = ConfusionMatrix(classCount: 2)
        try confusion.update(prediction: Tensor(shape: [1, 2, 1], scalars: [0.2, 0.8]), target: Tensor(shape: [1, 1], scalars: [1]))
        XCTAssertEqual(Set(ConfusionMatrix.directions.keys), Set(confusion.results.keys))
        var depth = DepthError()
        try depth.update(predictions: [1], targets: [2])
        XCTAssertEqual(Set(DepthError.directions.keys), Set(depth.results.keys))
        var normals = NormalError()
        try normals.update(predictions: [0, 0, 1], targets: [0, 0, 1], shape: [1, 3, 1])
        XCTAssertEqual(Set(NormalError.directions.keys), Set(normals.results.keys))
        var accuracy = ClassificationAccuracy()
        try accuracy.update(predictedLabels: [1], targets: [1])
        XCTAssertEqual(Set(ClassificationAccuracy.directions.keys), Set(accuracy.results.keys))
    }

    /// With no valid pixel (or no labelled example) a metric is undefined: it must be absent, never
    /// 0.0 — which reads as a perfect depth or angle error.
    func testMetricsOverZeroValidPixelsAreAbsentNotPerfect() throws {
        for averaging in [DepthError.Averaging.pixels, .batches] {
            var depth = DepthError(averaging: averaging)
            try depth.update(predictions: [1.5, 2, 3], targets: [0, 0, 0])
            XCTAssertTrue(depth.results.isEmpty, "\(averaging): \(depth.results)")
        }
        for averaging in [NormalError.Averaging.pixels, .batches] {
            var normals = NormalError(averaging: averaging)
            try normals.update(predictions: [1, 0, 0, 0, 1, 0], targets: [0, 0, 0, 0, 0, 0], shape: [1, 3, 2])
            XCTAssertTrue(normals.results.isEmpty, "\(averaging): \(normals.results)")
        }
        var confusion = ConfusionMatrix(classCount: 3)
        try confusion.update(prediction: Tensor(shape: [1, 3, 2], scalars: [1, 0, 0, 1, 0, 0]), target: Tensor(shape: [1, 2], scalars: [-1, -1]))
        XCTAssertTrue(confusion.results.isEmpty)
        var accuracy = ClassificationAccuracy()
        try accuracy.update(predictedLabels: [0, 1], targets: [-1, -1])
        XCTAssertTrue(accuracy.results.isEmpty)
        // One valid pixel brings the metric back.
        var depth = DepthError()
        try depth.update(predictions: [1.5, 2], targets: [0, 1])
        XCTAssertEqual(depth.results["absError"]!, 1, accuracy: 1e-12)
        XCTAssertEqual(StandardMetrics.note(for: .depth, results: [:]), "no valid pixels in this split: depth errors are undefined (absent, not 0)")
        XCTAssertNil(StandardMetrics.note(for: .depth, results: depth.results))
    }
}
