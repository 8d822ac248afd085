import Foundation
import TandemCore
import TandemDatasets

/// What a run trains on, as a short text stored in its checkpoint (`data.training`): the training
/// split's data set name, sample count and the CRC-32 of every training example — its input and
/// each task's target, shapes and values, in the split's order. A resume compares it with the data
/// found now, so training data changed between a kill and `--resume` (a file replaced, a sample
/// added) is refused instead of silently mixed into the run.
enum TrainingDataFingerprint {
    static let attribute = "data.training"

    static func text(of bundle: DatasetBundle) -> String {
        var crc: UInt32 = 0
        func add(_ array: FloatArray) {
            crc = array.shape.map(Int64.init).withUnsafeBytes { CRC32.checksum($0, initial: crc) }
            crc = array.scalars.withUnsafeBytes { CRC32.checksum($0, initial: crc) }
        }
        let taskNames = bundle.training.tasks.map(\.name)
        for index in bundle.trainingIndices {
            // A sample that cannot be read counts as its error's text: training reports the
            // damage itself, at the step that needs the sample (the run stops before checkpointing).
            let example: Example
            do { example = try bundle.training.example(at: index) } catch {
                crc = Array("unreadable sample \(index): \(error)".utf8).withUnsafeBytes { CRC32.checksum($0, initial: crc) }
                continue
            }
            add(example.input)
            for name in taskNames {
                crc = Array(name.utf8).withUnsafeBytes { CRC32.checksum($0, initial: crc) }
                if let target = example.targets[name] { add(target) }
            }
        }
        return "\(bundle.training.name), \(bundle.trainingIndices.count) samples, crc32 " + String(format: "%08x", crc)
    }
}
