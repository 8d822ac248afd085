import Foundation
import TandemCore

/// The trivial-predictor reference of a split: for each task the best constant prediction on that
/// split — the majority class (segmentation, classification: chance accuracy), the mean depth of
/// valid pixels, the mean valid normal (unit length), the mean regression target — evaluated with
/// the same losses and metric code as the model. A table shows it beside the trained rows, so a
/// reader sees at once whether anything was learned. Class logits are the log frequencies, so the
/// cross-entropy shown is the entropy of the split's labels.
public enum TrivialReference {
    /// task → metric → value for `batches` (one evaluation split).
    public static func metrics(tasks: [TaskSpec], batches: [Batch], metrics factory: TaskMetricFactory) -> [String: [String: Double]] {
        var result: [String: [String: Double]] = [:]
        for task in tasks {
            let targets = batches.compactMap { $0.targets[task.name] }
            guard !targets.isEmpty, let constant = constant(for: task.kind, targets: targets) else { continue }
            let accumulator = factory(task)
            var lossSum = 0.0, count = 0
            Tape.withoutRecording {
                for target in targets {
                    let prediction = self.prediction(constant, kind: task.kind, target: target)
                    let size = target.shape[0]
                    lossSum += Double(task.kind.loss(prediction: prediction, target: target).scalar) * Double(size)
                    count += size
                    accumulator?.add(prediction: prediction, target: target)
                }
            }
            var values = accumulator?.values() ?? [:]
            if count > 0 { values["loss"] = lossSum / Double(count) }
            result[task.name] = values
        }
        return result
    }

    /// The constant: per-channel values (depth: 1, normals: 3, regression: outputs) or, for class
    /// tasks, one log-frequency per class. `nil` when the split has no valid target.
    static func constant(for kind: TaskKind, targets: [Tensor]) -> [Float]? {
        switch kind {
        case let .segmentation(classes), let .classification(classes):
            var counts = [Double](repeating: 0, count: classes)
            for target in targets {
                for label in target.scalars where label >= 0 && Int(label) < classes { counts[Int(label)] += 1 }
            }
            let total = counts.reduce(0, +)
            guard total > 0 else { return nil }
            // Log frequencies; unseen classes get a finite floor below every seen one.
            return counts.map { Float($0 > 0 ? (($0 / total)).logarithm : (0.5 / total).logarithm - 30) }
        case .depth:
            var sum = 0.0, valid = 0
            for target in targets { for value in target.scalars where value != 0 { sum += Double(value); valid += 1 } }
            return valid > 0 ? [Float(sum / Double(valid))] : nil
        case .normals:
            var sum = [0.0, 0.0, 0.0], valid = 0
            for target in targets {
                let values = target.scalars, spatial = target.shape.dropFirst(2).reduce(1, *)
                for image in 0..<target.shape[0] {
                    for pixel in 0..<spatial {
                        let base = image * 3 * spatial + pixel
                        let v = (0..<3).map { Double(values[base + $0 * spatial]) }
                        guard v.contains(where: { $0 != 0 }) else { continue }
                        for c in 0..<3 { sum[c] += v[c] }
                        valid += 1
                    }
                }
            }
            let length = (sum.reduce(0) { $0 + $1 * $1 }).squareRoot()
            guard valid > 0, length > 0 else { return nil }
            return sum.map { Float($0 / length) }
        case let .regression(outputs):
            var sum = [Double](repeating: 0, count: outputs), rows = 0
            for target in targets {
                let values = target.scalars
                guard values.count % outputs == 0 else { continue }
                for row in 0..<(values.count / outputs) {
                    for o in 0..<outputs { sum[o] += Double(values[row * outputs + o]) }
                    rows += 1
                }
            }
            return rows > 0 ? sum.map { Float($0 / Double(rows)) } : nil
        }
    }

    /// The constant spread to the prediction shape of `target`'s batch.
    static func prediction(_ constant: [Float], kind: TaskKind, target: Tensor) -> Tensor {
        let n = target.shape[0]
        switch kind {
        case .segmentation:
            let spatial = target.shape.dropFirst().reduce(1, *)
            var scalars = [Float](); scalars.reserveCapacity(n * constant.count * spatial)
            for _ in 0..<n { for value in constant { scalars += repeatElement(value, count: spatial) } }
            return Tensor(shape: [n, constant.count] + target.shape.dropFirst(), scalars: scalars)
        case .classification:
            return Tensor(shape: [n, constant.count], scalars: Array((0..<n).map { _ in constant }.joined()))
        case .depth, .normals:
            let spatial = target.shape.dropFirst(2).reduce(1, *)
            var scalars = [Float](); scalars.reserveCapacity(target.count)
            for _ in 0..<n { for value in constant { scalars += repeatElement(value, count: spatial) } }
            return Tensor(shape: target.shape, scalars: scalars)
        case let .regression(outputs):
            return Tensor(shape: target.shape, scalars: Array((0..<(target.count / max(1, outputs))).map { _ in constant }.joined()))
        }
    }
}

private extension Double {
    var logarithm: Double { Foundation.log(self) }
}
