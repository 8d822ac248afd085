import Foundation
import XCTest
@testable import TandemDatasets

final class SamplingTests: XCTestCase {
    func testTMTNYUv2SplitConvention() {
        let splits = DatasetSplits.tmtNYUv2(trainCount: 795, testCount: 654)
        XCTAssertEqual(splits.train.count, 795)
        XCTAssertEqual(splits.validation.count, 327)
        XCTAssertEqual(splits.test.count, 327)
        XCTAssertEqual(Array(splits.validation.prefix(3)), [0, 2, 4])
        XCTAssertEqual(Array(splits.test.prefix(3)), [1, 3, 5])
        XCTAssertEqual(splits.test.last, 653)
    }

    func testRandomSplitsPartitionDeterministically() throws {
        let splits = try DatasetSplits.random(count: 100, trainCount: 70, validationCount: 20, testCount: 10, seed: 4)
        XCTAssertEqual(Set(splits.train + splits.validation + splits.test).count, 100)
        XCTAssertEqual(splits, try DatasetSplits.random(count: 100, trainCount: 70, validationCount: 20, testCount: 10, seed: 4))
        XCTAssertNotEqual(splits, try DatasetSplits.random(count: 100, trainCount: 70, validationCount: 20, testCount: 10, seed: 5))
        XCTAssertNotEqual(splits.test, Array(90..<100))  // shuffled, not the tail of a sorted file
        XCTAssertThrowsError(try DatasetSplits.random(count: 10, trainCount: 8, validationCount: 2, testCount: 1, seed: 0))
    }

    func testParallelSubsetsAreSeededNestedFractions() throws {
        let training = Array(0..<795)
        func availability(_ fraction: Double, seed: UInt64 = 1) throws -> LabelAvailability {
            try LabelAvailability(trainingIndices: training, primaryTasks: ["segmentation"], auxiliaryTasks: ["depth"],
                                  parallelFraction: fraction, seed: seed)
        }
        let sizes = try [0.1, 0.2, 0.33, 0.5].map { try availability($0).parallelIndices.count }
        XCTAssertEqual(sizes, [80, 159, 263, 398])  // ⌈fraction · 795⌉
        XCTAssertEqual(try LabelAvailability(trainingIndices: Array(0..<1000), primaryTasks: ["a"], auxiliaryTasks: ["b"],
                                             parallelFraction: 0.1, seed: 0).parallelIndices.count, 100)
        let ten = try availability(0.1), twenty = try availability(0.2)
        XCTAssertTrue(Set(ten.parallelIndices).isSubset(of: twenty.parallelIndices))
        XCTAssertEqual(ten, try availability(0.1))
        XCTAssertNotEqual(ten.parallelIndices, try availability(0.1, seed: 2).parallelIndices)
        let index = ten.parallelIndices[3]
        let outside = training.first { !ten.isParallel($0) }!
        XCTAssertEqual(ten.labelledTasks(of: index, drawnFrom: .parallel), ["segmentation", "depth"])
        XCTAssertEqual(ten.labelledTasks(of: index, drawnFrom: .auxiliary), ["depth"])
        XCTAssertEqual(ten.labelledTasks(of: outside, drawnFrom: .parallel), ["depth"])
        let oracle = try LabelAvailability.oracle(trainingIndices: training, primaryTasks: ["segmentation"], auxiliaryTasks: ["depth"])
        XCTAssertEqual(oracle.parallelIndices, training)
        XCTAssertThrowsError(try availability(0))
        XCTAssertThrowsError(try LabelAvailability(trainingIndices: training, primaryTasks: ["a"], auxiliaryTasks: ["a"],
                                                   parallelFraction: 0.1, seed: 0))
    }

    func testBatchSamplerEpochsAndSteps() throws {
        let indices = Array(100..<110)
        let sampler = try BatchSampler(indices: indices, batchSize: 4, seed: 9)
        XCTAssertEqual(sampler.batchesPerEpoch, 3)
        let epoch0 = sampler.batches(epoch: 0)
        XCTAssertEqual(epoch0.map(\.count), [4, 4, 2])
        XCTAssertEqual(epoch0.flatMap { $0 }.sorted(), indices)
        XCTAssertNotEqual(sampler.batches(epoch: 1), epoch0)
        XCTAssertNotEqual(epoch0.flatMap { $0 }, indices)
        XCTAssertEqual(sampler.batch(atStep: 4), sampler.batches(epoch: 1)[1])
        let dropping = try BatchSampler(indices: indices, batchSize: 4, dropLast: true, seed: 9)
        XCTAssertEqual(dropping.batches(epoch: 0).map(\.count), [4, 4])
        XCTAssertEqual(dropping.batch(atStep: 2), dropping.batches(epoch: 1)[0])
        let ordered = try BatchSampler(indices: indices, batchSize: 5, shuffle: false, seed: 0)
        XCTAssertEqual(ordered.batches(epoch: 3), [Array(100..<105), Array(105..<110)])
        XCTAssertThrowsError(try BatchSampler(indices: [], batchSize: 1, seed: 0))
        XCTAssertThrowsError(try BatchSampler(indices: [1], batchSize: 0, seed: 0))
    }

    func testAlternatingSamplerDrawsTheParallelSetEveryKSteps() throws {
        let availability = try LabelAvailability(trainingIndices: Array(0..<50), primaryTasks: ["segmentation"],
                                                 auxiliaryTasks: ["depth", "normals"], parallelFraction: 0.2, seed: 3)
        let sampler = try AlternatingSampler(availability: availability, batchSize: 4, period: 3, seed: 1)
        let draws = (0..<9).map { sampler.draws(atStep: $0) }
        XCTAssertEqual(draws.map { $0.parallel != nil }, [false, false, true, false, false, true, false, false, true])
        XCTAssertTrue(draws.allSatisfy { Set($0.parallel ?? []).isSubset(of: availability.parallelIndices) })
        // The parallel stream advances one batch per parallel draw: steps 2, 5, 8 → its steps 0, 1, 2.
        XCTAssertEqual(draws[5].parallel, sampler.parallel.batch(atStep: 1))
        XCTAssertEqual(draws[4].auxiliary, sampler.auxiliary.batch(atStep: 4))
        XCTAssertThrowsError(try AlternatingSampler(auxiliary: sampler.auxiliary, parallel: sampler.parallel, period: 0))
    }

    func testBatchesMaskLabelsBySource() throws {
        let scenes = try SyntheticScenes(options: SyntheticScenesOptions(count: 10, height: 8, width: 12, seed: 2))
        let availability = try LabelAvailability(trainingIndices: Array(0..<10), primaryTasks: ["segmentation"],
                                                 auxiliaryTasks: ["depth", "normals"], parallelFraction: 0.3, seed: 0)
        let parallel = availability.parallelIndices
        let auxiliaryBatch = try SampleBatch(dataset: scenes, indices: parallel, availability: availability, source: .auxiliary)
        XCTAssertFalse(auxiliaryBatch.hasLabels("segmentation"))
        XCTAssertNil(auxiliaryBatch.targetTensor("segmentation"))
        XCTAssertTrue(auxiliaryBatch.targets["segmentation"]!.scalars.allSatisfy { $0 == -1 })
        XCTAssertEqual(auxiliaryBatch.labelledTasks, ["depth", "normals"])
        let parallelBatch = try SampleBatch(dataset: scenes, indices: parallel, availability: availability, source: .parallel)
        XCTAssertEqual(parallelBatch.labelledTasks, ["depth", "normals", "segmentation"])
        XCTAssertEqual(parallelBatch.input.shape, [3, 3, 8, 12])
        XCTAssertEqual(parallelBatch.targetTensor("depth")?.shape, [3, 1, 8, 12])
        XCTAssertEqual(parallelBatch.inputTensor().shape, [3, 3, 8, 12])
        let first = try scenes.example(at: parallel[0])
        XCTAssertEqual(Array(parallelBatch.targets["segmentation"]!.scalars.prefix(96)), first.targets["segmentation"]!.scalars)
        // Mixed batch: a sample outside the parallel set has no primary label even from `.parallel`.
        let outside = (0..<10).first { !availability.isParallel($0) }!
        let mixed = try SampleBatch(dataset: scenes, indices: [parallel[0], outside], availability: availability, source: .parallel)
        XCTAssertEqual(mixed.labelled["segmentation"], [true, false])
        XCTAssertTrue(mixed.targets["segmentation"]!.scalars[96...].allSatisfy { $0 == -1 })
        let plain = try SampleBatch(dataset: scenes, indices: [0, 1])
        XCTAssertEqual(plain.labelledTasks, ["depth", "normals", "segmentation"])
        XCTAssertThrowsError(try SampleBatch(dataset: scenes, indices: [0], availability: availability))
        XCTAssertThrowsError(try SampleBatch(dataset: scenes, indices: [10]))
    }
}

final class PrefetcherTests: XCTestCase {
    struct Failure: Error {}

    func testDeliversItemsInOrderWithTheSameValuesAsDirectCalls() throws {
        let scenes = try SyntheticScenes(options: SyntheticScenesOptions(count: 20, height: 8, width: 12, seed: 2))
        let sampler = try BatchSampler(indices: Array(0..<20), batchSize: 3, seed: 1)
        let prefetcher = Prefetcher(count: 10, capacity: 2) { step in try SampleBatch(dataset: scenes, indices: sampler.batch(atStep: step)) }
        for step in 0..<10 {
            let batch = try prefetcher.next()
            XCTAssertEqual(batch, try SampleBatch(dataset: scenes, indices: sampler.batch(atStep: step)))
        }
        XCTAssertNil(try prefetcher.next())
    }

    func testErrorsAreDeliveredAtTheirPositionAndStopEndsProduction() throws {
        let failing = Prefetcher(count: 5, capacity: 1) { step -> Int in
            if step == 2 { throw Failure() }
            return step * 10
        }
        XCTAssertEqual(try failing.next(), 0)
        XCTAssertEqual(try failing.next(), 10)
        XCTAssertThrowsError(try failing.next())
        XCTAssertEqual(try failing.next(), 30)

        let endless = Prefetcher(capacity: 3) { $0 }
        XCTAssertEqual(try endless.next(), 0)
        XCTAssertEqual(try endless.next(), 1)
        endless.stop()
        XCTAssertNil(try endless.next())
    }
}
