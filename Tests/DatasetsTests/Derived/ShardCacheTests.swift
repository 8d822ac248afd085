import Foundation
import XCTest
@testable import TandemDatasets

final class ShardCacheTests: TemporaryDirectoryTestCase {
    func scenes() throws -> SyntheticScenes {
        try SyntheticScenes(options: SyntheticScenesOptions(count: 7, height: 12, width: 16, seed: 5))
    }

    func testShardsRoundTripAndAreBuiltOnce() throws {
        let source = try scenes()
        let cache = try ShardCache(source: source, root: directory, key: source.cacheKey, shardSize: 3)
        XCTAssertEqual(cache.shardCount, 3)
        XCTAssertEqual(try cache.prepare(), [0, 1, 2])
        XCTAssertEqual(try cache.prepare(), [])  // all present and valid
        for index in 0..<7 {
            XCTAssertEqual(try cache.example(at: index), try source.example(at: index))
        }
        // A fresh cache object reads the files written by the first.
        let reopened = try ShardCache(source: source, root: directory, key: source.cacheKey, shardSize: 3)
        XCTAssertEqual(try reopened.example(at: 6), try source.example(at: 6))
        let files = try FileManager.default.contentsOfDirectory(atPath: cache.directory.path).sorted()
        XCTAssertEqual(files, ["shard-00000.tshard", "shard-00001.tshard", "shard-00002.tshard"])
        // Lazily built on first use without prepare().
        let lazy = try ShardCache(source: source, root: directory.appendingPathComponent("lazy"), key: source.cacheKey, shardSize: 4)
        XCTAssertEqual(try lazy.example(at: 5), try source.example(at: 5))
        XCTAssertTrue(FileManager.default.fileExists(atPath: lazy.url(ofShard: 1).path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: lazy.url(ofShard: 0).path))
    }

    func testDamagedShardsAreDetectedAndRebuilt() throws {
        let source = try scenes()
        let cache = try ShardCache(source: source, root: directory, key: source.cacheKey, shardSize: 4)
        try cache.prepare()
        let url = cache.url(ofShard: 1)
        var bytes = [UInt8](try Data(contentsOf: url))
        bytes[bytes.count - 20] ^= 0x5A
        try Data(bytes).write(to: url)
        let fresh = try ShardCache(source: source, root: directory, key: source.cacheKey, shardSize: 4)
        assertDatasetError(["shard-00001.tshard"]) { _ = try fresh.example(at: 5) }
        XCTAssertEqual(try fresh.prepare(), [1])
        XCTAssertEqual(try fresh.example(at: 5), try source.example(at: 5))

        // A shard whose payload decompresses but whose checksum disagrees (header edited).
        bytes = [UInt8](try Data(contentsOf: url))
        let text = String(decoding: bytes, as: UTF8.self)
        if let range = text.range(of: "\"crc32\":") {
            let position = text.utf8.distance(from: text.startIndex, to: range.upperBound)
            bytes[position] = bytes[position] == UInt8(ascii: "1") ? UInt8(ascii: "2") : UInt8(ascii: "1")
        }
        try Data(bytes).write(to: url)
        let third = try ShardCache(source: source, root: directory, key: source.cacheKey, shardSize: 4)
        assertDatasetError(["shard-00001.tshard", "checksum"]) { _ = try third.example(at: 4) }

        // A shard from another key in this shard's place is rejected.
        var options = source.options
        options.seed = 6
        let other = try SyntheticScenes(options: options)
        let otherCache = try ShardCache(source: other, root: directory.appendingPathComponent("other"), key: other.cacheKey, shardSize: 4)
        try otherCache.prepare()
        try FileManager.default.removeItem(at: url)
        try FileManager.default.copyItem(at: otherCache.url(ofShard: 1), to: url)
        assertDatasetError(["shard-00001.tshard", "key"]) { _ = try ShardCache(source: source, root: self.directory, key: source.cacheKey, shardSize: 4).example(at: 4) }
        XCTAssertNotEqual(source.cacheKey, other.cacheKey)
    }
}

final class LabelCorruptionTests: XCTestCase {
    func testReplacementChangesTheRequestedFractionAndKeepsIgnoredLabels() throws {
        let scenes = try SyntheticScenes(options: SyntheticScenesOptions(count: 4, height: 48, width: 64, seed: 8))
        let corrupted = try CorruptedDataset(scenes, corruptions: ["segmentation": .replaceLabels(fraction: 0.3),
                                                                     "depth": .gaussianNoise(standardDeviation: 0.1),
                                                                     "normals": .gaussianNoise(standardDeviation: 0.2)], seed: 1)
        var changed = 0, labelled = 0
        var squaredNoise = 0.0, validDepth = 0
        for index in 0..<4 {
            let clean = try scenes.example(at: index), noisy = try corrupted.example(at: index)
            XCTAssertEqual(noisy, try corrupted.example(at: index))  // deterministic
            XCTAssertEqual(noisy.input, clean.input)
            let a = clean.targets["segmentation"]!.scalars, b = noisy.targets["segmentation"]!.scalars
            for (x, y) in zip(a, b) {
                if x < 0 { XCTAssertEqual(y, x); continue }
                labelled += 1
                XCTAssertTrue(y >= 0 && y < 13)
                if x != y { changed += 1 }
            }
            for (x, y) in zip(clean.targets["depth"]!.scalars, noisy.targets["depth"]!.scalars) {
                if x == 0 { XCTAssertEqual(y, 0); continue }
                XCTAssertGreaterThan(y, 0)
                squaredNoise += Double((y - x) * (y - x))
                validDepth += 1
            }
            let n = noisy.targets["normals"]!.scalars, c = clean.targets["normals"]!.scalars
            let pixels = n.count / 3
            for p in 0..<pixels {
                let length = n[p] * n[p] + n[pixels + p] * n[pixels + p] + n[2 * pixels + p] * n[2 * pixels + p]
                if c[p] == 0 && c[pixels + p] == 0 && c[2 * pixels + p] == 0 { XCTAssertEqual(length, 0) } else { XCTAssertEqual(length, 1, accuracy: 1e-5) }
            }
        }
        XCTAssertEqual(Double(changed) / Double(labelled), 0.3, accuracy: 0.02)
        XCTAssertEqual((squaredNoise / Double(validDepth)).squareRoot(), 0.1, accuracy: 0.01)
        let reseeded = try CorruptedDataset(scenes, corruptions: ["segmentation": .replaceLabels(fraction: 0.3)], seed: 2)
        XCTAssertNotEqual(try reseeded.example(at: 0).targets["segmentation"], try corrupted.example(at: 0).targets["segmentation"])
    }

    func testMismatchedCorruptionsAreRejected() throws {
        let scenes = try SyntheticScenes(options: SyntheticScenesOptions(count: 1, height: 8, width: 8))
        XCTAssertThrowsError(try CorruptedDataset(scenes, corruptions: ["segmentation": .gaussianNoise(standardDeviation: 1)], seed: 0))
        XCTAssertThrowsError(try CorruptedDataset(scenes, corruptions: ["depth": .replaceLabels(fraction: 0.1)], seed: 0))
        XCTAssertThrowsError(try CorruptedDataset(scenes, corruptions: ["colour": .none], seed: 0))
        XCTAssertThrowsError(try CorruptedDataset(scenes, corruptions: ["segmentation": .replaceLabels(fraction: 1.5)], seed: 0))
    }

    func testClassificationLabelsAreReplacedByOtherClasses() {
        var target = FloatArray(shape: [1000], scalars: (0..<1000).map { Float($0 % 10) })
        var generator = SeedDerivation.generator(0, index: 0, salt: .labelCorruption)
        LabelCorruption.replaceLabels(fraction: 1).apply(to: &target, kind: .classification(classes: 10), generator: &generator)
        XCTAssertTrue(zip(target.scalars, (0..<1000).map { Float($0 % 10) }).allSatisfy { $0 != $1 && $0 >= 0 && $0 < 10 })
    }
}
