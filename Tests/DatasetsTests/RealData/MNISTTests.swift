import Foundation
import XCTest
@testable import TandemDatasets

/// Uses the real samples in `<repo>/data` (see its README).
final class MNISTTests: TemporaryDirectoryTestCase {
    static let dataDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("data")

    func mnist() throws -> MNIST {
        try MNIST(images: Self.dataDirectory.appendingPathComponent("mnist5k-images-idx3-ubyte"),
                  labels: Self.dataDirectory.appendingPathComponent("mnist5k-labels-idx1-ubyte"))
    }

    func testReadsTheRealMNISTSample() throws {
        let data = try mnist()
        XCTAssertEqual(data.count, 5000)
        XCTAssertEqual(data.inputShape, [1, 28, 28])
        // Sorted by class, 500 per class.
        for digit in 0..<10 { XCTAssertEqual(data.labels.filter { $0 == digit }.count, 500) }
        XCTAssertEqual(data.labels[0], 0)
        XCTAssertEqual(data.labels[4999], 9)
        let example = try data.example(at: 1234)
        XCTAssertEqual(example.targets["class"]!.scalars, [Float(data.labels[1234])])
        XCTAssertTrue(example.input.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
        XCTAssertGreaterThan(example.input.scalars.filter { $0 > 0.5 }.count, 30)  // a real digit has ink
        XCTAssertEqual(example.input.scalars[0], 0)                                  // and a blank corner

        let digits = try MNIST(images: Self.dataDirectory.appendingPathComponent("digits-images-idx3-ubyte"),
                               labels: Self.dataDirectory.appendingPathComponent("digits-labels-idx1-ubyte"), name: "digits")
        XCTAssertEqual(digits.count, 1797)
        XCTAssertEqual(digits.inputShape, [1, 8, 8])
        XCTAssertThrowsError(try MultiMNIST(source: digits))
    }

    func testMultiMNISTComposesPairsAsSenerAndKoltun() throws {
        let data = try mnist()
        let multi = try MultiMNIST(source: data, seed: 11, resize: .none)
        XCTAssertEqual(multi.inputShape, [1, 36, 36])
        XCTAssertEqual(multi.taskNames, ["left", "right"])
        var differentLabels = 0
        for index in [0, 777, 2500, 4999] {
            let partner = multi.partners[index]
            let example = try multi.example(at: index)
            XCTAssertEqual(example.targets["left"]!.scalars, [Float(data.labels[index])])
            XCTAssertEqual(example.targets["right"]!.scalars, [Float(data.labels[partner])])
            if data.labels[index] != data.labels[partner] { differentLabels += 1 }
            let left = Array(data.image(at: index)), right = Array(data.image(at: partner))
            let canvas = example.input.scalars
            for r in 0..<36 {
                for c in 0..<36 {
                    let l: Float = r < 28 && c < 28 ? Float(left[r * 28 + c]) : 0
                    let rr: Float = r >= 6 && r < 34 && c >= 6 && c < 34 ? Float(right[(r - 6) * 28 + c - 6]) : 0
                    XCTAssertEqual(canvas[r * 36 + c], max(l, rr) / 255)
                }
            }
        }
        XCTAssertGreaterThan(differentLabels, 0)
        // Partners depend on (seed, index) only; a different seed pairs differently.
        XCTAssertEqual(try MultiMNIST(source: data, seed: 11).partners, multi.partners)
        XCTAssertNotEqual(try MultiMNIST(source: data, seed: 12).partners, multi.partners)

        let resized = try MultiMNIST(source: data, seed: 11, resize: .nearest).example(at: 777).input
        XCTAssertEqual(resized.shape, [1, 28, 28])
        // Nearest neighbour picks canvas pixel ⌊(2d+1)·36/56⌋: output (10, 20) ← canvas (13, 26).
        let canvas = try multi.example(at: 777).input.scalars
        XCTAssertEqual(resized.scalars[10 * 28 + 20], canvas[13 * 36 + 26])
        let bilinear = try MultiMNIST(source: data, seed: 11, resize: .bilinear).example(at: 777).input
        XCTAssertEqual(bilinear.shape, [1, 28, 28])
        XCTAssertEqual(bilinear.scalars.reduce(0, +) / 784, canvas.reduce(0, +) / 1296, accuracy: 0.02)
    }

    /// The whole-source pairing (the default) is pinned, so existing recipes keep their numbers:
    /// these partners and this pixel sum were read from the composition when the within-split
    /// pairing was added (which left the whole-source code as it was: partner of i from
    /// (seed, i, .composition) over the whole source, image i on the left).
    func testWholeSourcePairingIsUnchanged() throws {
        let data = try mnist()
        let multi = try MultiMNIST(source: data, seed: 0, resize: .none)
        XCTAssertEqual(multi.pairing, .wholeSource)
        XCTAssertEqual(multi.count, 5000)
        XCTAssertEqual(multi.lefts, Array(0..<5000))
        XCTAssertEqual([0, 1, 2, 777, 2500, 4999].map { multi.partners[$0] }, [3380, 1954, 2598, 2098, 2800, 703])
        XCTAssertEqual(Array(try MultiMNIST(source: data, seed: 11).partners[0..<4]), [753, 735, 2752, 3608])
        let example = try MultiMNIST(source: data, seed: 0).example(at: 777)
        XCTAssertEqual(example.targets["left"]!.scalars, [Float(data.labels[777])])
        XCTAssertEqual(example.input.scalars.reduce(0, +), 91.67449, accuracy: 1e-3)
        XCTAssertEqual(multi.digitPools, [Array(0..<5000)])
        XCTAssertEqual(multi.poolExamples, [0..<5000])
    }

    /// Within-split pairing: disjoint pools cut from a seeded permutation, every pair (both digits)
    /// from its own pool, the first `n` pairs of a pool of `n` digits putting each digit once on the
    /// left, more pairs than digits allowed, and the same seed giving the same pairs.
    func testWithinSplitPairsUseOnlyTheirOwnPool() throws {
        let data = try mnist()
        let pools = [MultiMNIST.Pool(digits: 3000, pairs: 10_000), MultiMNIST.Pool(digits: 1000, pairs: 1000),
                     MultiMNIST.Pool(digits: 999, pairs: 500)]
        let multi = try MultiMNIST(source: data, pools: pools, seed: 3, resize: .none)
        XCTAssertEqual(multi.pairing, .withinSplit)
        XCTAssertEqual(multi.count, 11_500)
        XCTAssertEqual(multi.poolExamples, [0..<10_000, 10_000..<11_000, 11_000..<11_500])
        XCTAssertEqual(multi.digitPools.map(\.count), [3000, 1000, 999])
        let sets = multi.digitPools.map(Set.init)
        XCTAssertTrue(sets[0].isDisjoint(with: sets[1]) && sets[0].isDisjoint(with: sets[2]) && sets[1].isDisjoint(with: sets[2]))
        XCTAssertEqual(sets[0].union(sets[1]).union(sets[2]).count, 4999)
        XCTAssertTrue(sets.allSatisfy { $0.allSatisfy { (0..<5000).contains($0) } })
        // The sample is sorted by class; a random pool holds every class (~10 % each).
        for pool in multi.digitPools { XCTAssertEqual(Set(pool.map { data.labels[$0] }).count, 10) }
        for (s, range) in multi.poolExamples.enumerated() {
            for i in range {
                XCTAssertTrue(sets[s].contains(multi.lefts[i]) && sets[s].contains(multi.partners[i]), "example \(i) of pool \(s)")
            }
            let pool = multi.digitPools[s]
            // Lefts cycle through the pool in source order.
            for k in [0, 1, pool.count - 1] where k < range.count { XCTAssertEqual(multi.lefts[range.lowerBound + k], pool[k]) }
        }
        XCTAssertEqual(multi.lefts[4321], multi.digitPools[0][4321 - 3000])
        XCTAssertEqual(Set(multi.lefts[10_000..<11_000]), sets[1])        // each validation digit once on the left
        XCTAssertGreaterThan(Set(multi.partners[0..<10_000]).count, 2500)  // partners spread over the pool
        // Examples compose the recorded pair.
        for i in [0, 9999, 10_000, 11_499] {
            let example = try multi.example(at: i)
            XCTAssertEqual(example.targets["left"]!.scalars, [Float(data.labels[multi.lefts[i]])])
            XCTAssertEqual(example.targets["right"]!.scalars, [Float(data.labels[multi.partners[i]])])
            let left = Array(data.image(at: multi.lefts[i])), right = Array(data.image(at: multi.partners[i]))
            XCTAssertEqual(example.input.scalars[0], Float(left[0]) / 255)
            XCTAssertEqual(example.input.scalars[35 * 36 + 35], 0)
            XCTAssertEqual(example.input.scalars[33 * 36 + 33], Float(right[27 * 28 + 27]) / 255)
            XCTAssertEqual(example.input.scalars[20 * 36 + 20], Float(max(left[20 * 28 + 20], right[14 * 28 + 14])) / 255)
        }
        XCTAssertThrowsError(try multi.example(at: 11_500))
        // Determinism: the same seed gives the same pools and pairs; another seed others.
        let again = try MultiMNIST(source: data, pools: pools, seed: 3)
        XCTAssertEqual(again.digitPools, multi.digitPools)
        XCTAssertEqual(again.lefts, multi.lefts)
        XCTAssertEqual(again.partners, multi.partners)
        XCTAssertEqual(try again.example(at: 777).input, try again.example(at: 777).input)
        let other = try MultiMNIST(source: data, pools: pools, seed: 4)
        XCTAssertNotEqual(other.digitPools, multi.digitPools)
        XCTAssertNotEqual(other.partners, multi.partners)
    }

    func testWithinSplitBadSizesAreErrors() throws {
        let data = try mnist()
        assertDatasetError(["3000 + 1000 + 1001", "5001", "5000"]) {
            _ = try MultiMNIST(source: data, pools: [.init(digits: 3000, pairs: 10), .init(digits: 1000, pairs: 10), .init(digits: 1001, pairs: 10)])
        }
        assertDatasetError(["pool 1", "0 digits"]) {
            _ = try MultiMNIST(source: data, pools: [.init(digits: 3000, pairs: 10), .init(digits: 0, pairs: 10)])
        }
        assertDatasetError(["no pairs"]) { _ = try MultiMNIST(source: data, pools: [.init(digits: 10, pairs: 0)]) }
        assertDatasetError(["at least one pool"]) { _ = try MultiMNIST(source: data, pools: []) }
    }

    func testBadIDXFilesAreNamed() throws {
        let url = directory.appendingPathComponent("bad-idx")
        try Data([0x1F, 0x8B, 8, 0]).write(to: url)
        assertDatasetError(["bad-idx", "gunzip"]) { _ = try IDXFile.read(url) }
        try Data([0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0]).write(to: url)
        assertDatasetError(["bad-idx", "0x0d"]) { _ = try IDXFile.read(url) }
        try IDXFile.encode(shape: [2, 28, 28], bytes: [UInt8](repeating: 1, count: 2 * 784)).dropLast(10).write(to: url)
        assertDatasetError(["bad-idx", "truncated"]) { _ = try IDXFile.read(url) }
        let images = directory.appendingPathComponent("images"), labels = directory.appendingPathComponent("labels")
        try IDXFile.encode(shape: [2, 28, 28], bytes: [UInt8](repeating: 1, count: 2 * 784)).write(to: images)
        try IDXFile.encode(shape: [3], bytes: [1, 2, 3]).write(to: labels)
        assertDatasetError(["labels", "(2)"]) { _ = try MNIST(images: images, labels: labels) }
        try IDXFile.encode(shape: [2], bytes: [1, 12]).write(to: labels)
        assertDatasetError(["labels", "12"]) { _ = try MNIST(images: images, labels: labels) }
        try IDXFile.encode(shape: [2], bytes: [1, 2]).write(to: labels)
        XCTAssertEqual(try MNIST(images: images, labels: labels).count, 2)
    }
}

final class CIFAR100DomainsTests: TemporaryDirectoryTestCase {
    /// Writes CIFAR-100 binary records (coarse, fine, 3072 pixel bytes).
    func writeRecords(_ records: [(coarse: UInt8, fine: UInt8)], to url: URL) throws {
        var bytes: [UInt8] = []
        for (k, record) in records.enumerated() {
            bytes += [record.coarse, record.fine]
            bytes += (0..<3072).map { UInt8(($0 + k) % 256) }
        }
        try Data(bytes).write(to: url)
    }

    func testDomainsAndFiveWayLabels() throws {
        // Coarse class 0 (aquatic mammals) holds fine classes 4, 30, 55, 72, 95.
        XCTAssertEqual((0..<100).filter { CIFAR100Domains.coarseOfFine[$0] == 0 }, [4, 30, 55, 72, 95])
        XCTAssertEqual(CIFAR100Domains.domainLabel(ofFine: 30), 1)
        XCTAssertEqual(CIFAR100Domains.domainLabel(ofFine: 95), 4)
        for coarse in 0..<20 { XCTAssertEqual(CIFAR100Domains.coarseOfFine.filter { $0 == coarse }.count, 5) }

        let url = directory.appendingPathComponent("train.bin")
        try writeRecords([(0, 72), (19, 41), (0, 4)], to: url)
        let data = try CIFAR100Domains(file: url)
        XCTAssertEqual(data.count, 3)
        XCTAssertEqual(data.tasks.count, 20)
        XCTAssertEqual(data.indices(ofDomain: 0), [0, 2])
        let example = try data.example(at: 0)
        XCTAssertEqual(example.input.shape, [3, 32, 32])
        XCTAssertEqual(example.input.scalars[1], 1.0 / 255)
        XCTAssertEqual(example.targets["aquatic_mammals"]!.scalars, [3])
        XCTAssertEqual(example.targets["fish"]!.scalars, [-1])
        // Fine class 41 (lawn mower) is the first of vehicles 2: {41, 69, 81, 85, 89}.
        XCTAssertEqual(try data.example(at: 1).targets["vehicles_2"]!.scalars, [0])
        XCTAssertEqual(try data.domain(0).count, 2)
        XCTAssertThrowsError(try data.domain(20))
    }

    func testBadFilesAreNamed() throws {
        let url = directory.appendingPathComponent("test.bin")
        try writeRecords([(0, 72), (1, 72)], to: url)
        assertDatasetError(["test.bin", "record 1", "coarse label 1"]) { _ = try CIFAR100Domains(file: url) }
        try writeRecords([(0, 72)], to: url)
        try (try Data(contentsOf: url)).dropLast(5).write(to: url)
        assertDatasetError(["test.bin", "truncated"]) { _ = try CIFAR100Domains(file: url) }
    }
}
