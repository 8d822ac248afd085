import TandemCore

/// Index lists for training, validation and test.
public struct DatasetSplits: Equatable, Sendable, Codable {
    public var train: [Int]
    public var validation: [Int]
    public var test: [Int]

    public init(train: [Int], validation: [Int], test: [Int]) {
        self.train = train
        self.validation = validation
        self.test = test
    }

    /// The TMT paper's NYUv2 convention: train on the official training split; of the official test
    /// split (MTAN's `val` folder, `testCount` images), validation = even indices, test = odd indices.
    public static func tmtNYUv2(trainCount: Int, testCount: Int) -> DatasetSplits {
        DatasetSplits(train: Array(0..<trainCount),
                      validation: Array(stride(from: 0, to: testCount, by: 2)),
                      test: Array(stride(from: 1, to: testCount, by: 2)))
    }

    /// A seeded random partition of `0..<count` into the given sizes (sorted within each split).
    /// Use it for sources whose files are ordered (e.g. the MNIST sample sorted by class).
    public static func random(count: Int, trainCount: Int, validationCount: Int, testCount: Int, seed: UInt64) throws -> DatasetSplits {
        guard trainCount >= 0, validationCount >= 0, testCount >= 0, trainCount + validationCount + testCount <= count else {
            throw DatasetError.invalidArgument("split sizes \(trainCount)+\(validationCount)+\(testCount) exceed the \(count) examples")
        }
        var generator = SeedDerivation.generator(seed, index: 0, salt: .shuffle)
        let order = seededPermutation(count, generator: &generator)
        return DatasetSplits(train: order[0..<trainCount].sorted(),
                             validation: order[trainCount..<(trainCount + validationCount)].sorted(),
                             test: order[(trainCount + validationCount)..<(trainCount + validationCount + testCount)].sorted())
    }
}

/// A uniformly random permutation of `0..<count` (Fisher–Yates with unbiased bounded draws).
public func seededPermutation(_ count: Int, generator: inout SeededGenerator) -> [Int] {
    var order = Array(0..<count)
    if count < 2 { return order }
    for i in stride(from: count - 1, to: 0, by: -1) {
        let j = Int(generator.bounded(UInt64(i + 1)))
        order.swapAt(i, j)
    }
    return order
}
