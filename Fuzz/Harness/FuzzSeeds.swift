import Foundation
import TandemCore
import TandemDatasets

/// The seed corpus of each reader: small valid inputs built with Tandem's own writers (so they
/// stay valid as the formats evolve), plus a few near misses. `Fuzz/Corpus/READER/` holds the same
/// files for libFuzzer (`make fuzz-corpus` rewrites them).
public enum FuzzSeeds {
    public static func seeds(for reader: FuzzReader) throws -> [Data] {
        switch reader {
        case .recipe: return recipes.map { Data($0.utf8) }
        case .npy: return npys()
        case .idx: return idxPairs()
        case .tree: return treeMembers()
        case .cifar: return cifarFiles()
        case .checkpoint: return try checkpoints()
        }
    }

    static let recipes = [
        """
        name: fuzz
        seed: 1
        dataset: {name: synthetic-scenes, train: 8, validation: 4, test: 4, height: 32, width: 32}
        tasks:
          - {name: segmentation, role: primary}
          - {name: depth, role: auxiliary}
        model: {name: splitvgg, split: 3, width: 0.25}
        strategy: {name: pcgrad}
        optimizer: {name: sgd, learning_rate: 0.05, momentum: 0.9, schedule: stepwise, milestones: [10, 20], factor: 0.5}
        heads_optimizer: {name: adam, learning_rate: 0.001}
        budget: {steps: 20, batch_size: 4}
        labels: {parallel_fraction: 0.5, alternate_every: 2}
        evaluation: {every: 10, selection: window, window: 2, criterion: segmentation.mIoU, batch_size: 8}
        checkpoint_every: 5

        """,
        """
        #! strategy.reduction=mean
        dataset:
          name: multimnist
          images: a-idx3-ubyte
          labels: b-idx1-ubyte
          resize: bilinear
        tasks: [left, right]
        model: multilenet
        strategy: pcgrad
        optimizer: {name: adamw, learning_rate: 1e-3, weight_decay: 0.01, schedule: cosine, minimum: 1e-5}
        budget:
          epochs: 3
          batch_size: 256
        evaluation: {selection: best}

        """,
        """
        #! budget.steps=7
        dataset: {name: nyuv2, root: /data/nyuv2, validation: whole, limit: 10}
        tasks: [segmentation, {name: normals, role: auxiliary}]
        model: {name: splitres, split: 2}
        strategy: {name: gradnorm}
        budget: {steps: 1, batch_size: 2}

        """,
    ]

    static func npys() -> [Data] {
        [NpyWriter.encode(NpyArray(shape: [2, 3], float32: [1, -2, 3.5, 0, 1e-3, 7])),
         NpyWriter.encode(NpyArray(shape: [4], int64: [-1, 0, 5, 1 << 40])),
         NpyWriter.encode(NpyArray(shape: [2, 2], bool: [true, false, false, true])),
         NpyWriter.encode(NpyArray(shape: [], float64: [2.5])),
         NpyWriter.encode(NpyArray(shape: [3, 1, 2], uint8: [0, 1, 2, 250, 255, 7])),
         bigEndianFortran]
    }

    /// A version-2 big-endian Fortran-order int32 file (2×3), as NumPy writes it.
    static var bigEndianFortran: Data {
        var header = Array("{'descr': '>i4', 'fortran_order': True, 'shape': (2, 3), }".utf8)
        while (12 + header.count + 1) % 64 != 0 { header.append(0x20) }
        header.append(0x0A)
        var data = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 2, 0])
        withUnsafeBytes(of: UInt32(header.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: header)
        for value: Int32 in [1, 4, 2, 5, 3, 6] { withUnsafeBytes(of: value.bigEndian) { data.append(contentsOf: $0) } }
        return data
    }

    static func idxPairs() -> [Data] {
        let small = IDXFile.encode(shape: [3, 4, 4], bytes: (0..<48).map { UInt8($0 * 5) })
        let labels = IDXFile.encode(shape: [3], bytes: [1, 9, 0])
        let mnist = IDXFile.encode(shape: [2, 28, 28], bytes: (0..<1568).map { UInt8(($0 * 37) % 256) })
        let mnistLabels = IDXFile.encode(shape: [2], bytes: [3, 7])
        return [FuzzReader.pair(small, labels), FuzzReader.pair(mnist, mnistLabels),
                FuzzReader.pair(IDXFile.encode(shape: [1, 3, 2], bytes: [0, 255, 7, 8, 9, 10]), IDXFile.encode(shape: [1], bytes: [4]))]
    }

    static func treeMembers() -> [Data] {
        let (h, w) = (4, 5)
        var normals = [Float](repeating: 0, count: h * w * 3)
        for p in 1..<(h * w) { normals[p * 3 + (p % 3)] = p % 2 == 0 ? 1 : -1 }
        return [NpyWriter.encode(NpyArray(shape: [h, w, 3], float32: (0..<(h * w * 3)).map { Float($0) / 60 })),
                NpyWriter.encode(NpyArray(shape: [h, w], float64: (0..<(h * w)).map { Double($0 % 14) - 1 })),
                NpyWriter.encode(NpyArray(shape: [h, w], int64: (0..<(h * w)).map { Int64($0 % 13) })),
                NpyWriter.encode(NpyArray(shape: [h, w, 1], float32: (0..<(h * w)).map { Float($0) / 4 })),
                NpyWriter.encode(NpyArray(shape: [h, w], float64: (0..<(h * w)).map { $0 == 3 ? -1 : Double($0) })),
                NpyWriter.encode(NpyArray(shape: [h, w, 3], float32: normals)),
                NpyWriter.encode(NpyArray(shape: [h, w, 3], uint8: (0..<(h * w * 3)).map { UInt8($0 * 4) }))]
    }

    static func cifarFiles() -> [Data] {
        func record(fine: Int, fill: Int) -> [UInt8] {
            [UInt8(CIFAR100Domains.coarseOfFine[fine]), UInt8(fine)] + (0..<3072).map { UInt8(($0 * fill) % 256) }
        }
        return [Data(record(fine: 72, fill: 3) + record(fine: 4, fill: 5)), Data(record(fine: 99, fill: 1))]
    }

    /// Checkpoint files, and the same checkpoints' uncompressed payloads (which the reader
    /// re-checksums and compresses, so mutations reach the header checks behind the CRC).
    static func checkpoints() throws -> [Data] {
        var files: [Data] = [], payloads: [Data] = []
        let trainer = try FuzzTrainer.make()
        for steps in [0, 2, 1] {
            for _ in 0..<steps { _ = try trainer.trainStep() }
            var checkpoint = try trainer.checkpoint()
            checkpoint.attributes = ["recipe.seed": "1", "recipe.strategy": "{name: uw}"]
            let file = try checkpoint.encoded()
            files.append(file)
            payloads.append(try Zstd.decompress(file))
        }
        return files + payloads
    }
}
