import Foundation
@testable import Tandem
import TandemDatasets

/// A tiny NYUv2 `.npy` tree and a 4-step recipe on it, for tests that need real files to change
/// (data fingerprints) or labels to be missing (undefined criteria).
enum NYUv2TreeFixture {
    /// An NYUv2 `.npy` tree of 32×32 samples (6 training, 4 validation) under `folder/nyu`;
    /// `validDepth: false` makes every validation depth pixel invalid (0).
    static func writeTree(into folder: URL, validDepth: Bool = true) throws {
        let h = 32, w = 32
        for (split, count) in [("train", 6), ("val", 4)] {
            let base = folder.appendingPathComponent("nyu/\(split)")
            for i in 0..<count {
                try NpyArray(shape: [h, w, 3], float32: (0..<(h * w * 3)).map { Float(($0 * 7 + i * 13) % 100) / 100 })
                    .write(to: base.appendingPathComponent("image/\(i).npy"))
                try NpyArray(shape: [h, w], float64: (0..<(h * w)).map { Double(($0 / 37 + i) % 14) - 1 })
                    .write(to: base.appendingPathComponent("label/\(i).npy"))
                let depth = (0..<(h * w)).map { split == "val" && !validDepth ? 0 : Float($0 % 50 + 1) / 10 }
                try NpyArray(shape: [h, w, 1], float32: depth).write(to: base.appendingPathComponent("depth/\(i).npy"))
                var normal = [Float](repeating: 0, count: h * w * 3)
                for p in 0..<(h * w) where p % 9 != 0 { normal[p * 3 + (p % 3)] = 1 }
                try NpyArray(shape: [h, w, 3], float32: normal).write(to: base.appendingPathComponent("normal/\(i).npy"))
            }
        }
    }

    /// A 4-step recipe on the tree, with `evaluation` as given.
    static func writeRecipe(into folder: URL, evaluation: String = "{every: 2, batch_size: 2}") throws -> Recipe {
        let url = folder.appendingPathComponent("nyu.yaml")
        try """
        dataset: {name: nyuv2, root: nyu}
        tasks: [{name: segmentation, role: primary}, {name: depth, role: auxiliary}]
        model: {name: splitvgg, split: 3, width: 0.05}
        strategy: ew
        optimizer: {name: sgd, learning_rate: 0.01}
        budget: {steps: 4, batch_size: 2}
        evaluation: \(evaluation)
        output: \(folder.appendingPathComponent("run").path)

        """.write(to: url, atomically: true, encoding: .utf8)
        return try Recipe.load(url.path)
    }
}
