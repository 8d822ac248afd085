import Foundation
import TandemCore

/// CIFAR-100 (binary version) as 20 domains — one per coarse class — each a 5-way classification of
/// its fine classes: the multi-domain benchmark of Auto-λ and IAL.
///
/// A record of `train.bin` / `test.bin` is 3,074 bytes: coarse label, fine label, then 32×32 red,
/// green and blue planes. The task of domain `d` (named after the coarse class) labels the images of
/// that coarse class with the rank (0…4) of their fine label among the domain's five fine labels in
/// ascending order, and is −1 (ignore) for images of other domains. Inputs are `[3, 32, 32]` in 0…1.
public struct CIFAR100Domains: MultiTaskDataset {
    /// The CIFAR-100 coarse class names, in label order (task names use underscores).
    public static let domainNames = [
        "aquatic_mammals", "fish", "flowers", "food_containers", "fruit_and_vegetables",
        "household_electrical_devices", "household_furniture", "insects", "large_carnivores",
        "large_man-made_outdoor_things", "large_natural_outdoor_scenes", "large_omnivores_and_herbivores",
        "medium_mammals", "non-insect_invertebrates", "people", "reptiles", "small_mammals", "trees",
        "vehicles_1", "vehicles_2",
    ]

    /// Coarse class of each of the 100 fine classes (the official CIFAR-100 hierarchy).
    public static let coarseOfFine: [Int] = [
        4, 1, 14, 8, 0, 6, 7, 7, 18, 3, 3, 14, 9, 18, 7, 11, 3, 9, 7, 11,
        6, 11, 5, 10, 7, 6, 13, 15, 3, 15, 0, 11, 1, 10, 12, 14, 16, 9, 11, 5,
        5, 19, 8, 8, 15, 13, 14, 17, 18, 10, 16, 4, 17, 4, 2, 0, 17, 4, 18, 17,
        10, 3, 2, 12, 12, 16, 12, 1, 9, 19, 2, 10, 0, 1, 16, 12, 9, 13, 15, 13,
        16, 19, 2, 4, 6, 19, 5, 5, 8, 19, 18, 1, 2, 15, 6, 0, 17, 8, 14, 13,
    ]

    /// The 5-way label (0…4) of a fine class within its domain.
    public static func domainLabel(ofFine fine: Int) -> Int {
        let coarse = coarseOfFine[fine]
        return (0..<fine).filter { coarseOfFine[$0] == coarse }.count
    }

    public let name: String
    /// Coarse (domain) label of each image.
    public let coarseLabels: [UInt8]
    /// Fine label of each image.
    public let fineLabels: [UInt8]
    /// Images as bytes, 3×32×32 each (CHW).
    public let pixels: [UInt8]

    /// Reads a CIFAR-100 binary file (`train.bin` or `test.bin`).
    public init(file: URL, name: String = "cifar100-domains") throws {
        try self.init(bytes: [UInt8](try readFileData(file)), path: file.path, name: name)
    }

    /// Reads the contents of a CIFAR-100 binary file; `path` names it in errors.
    public init(bytes: [UInt8], path: String, name: String = "cifar100-domains") throws {
        let recordLength = 2 + 3 * 32 * 32
        guard !bytes.isEmpty else { throw DatasetError.truncated(path: path, expectedBytes: recordLength, foundBytes: 0) }
        guard bytes.count % recordLength == 0 else {
            throw DatasetError.truncated(path: path, expectedBytes: (bytes.count / recordLength + 1) * recordLength,
                                         foundBytes: bytes.count)
        }
        let count = bytes.count / recordLength
        var coarse = [UInt8](), fine = [UInt8](), pixels = [UInt8]()
        coarse.reserveCapacity(count)
        fine.reserveCapacity(count)
        pixels.reserveCapacity(count * 3072)
        for record in 0..<count {
            let offset = record * recordLength
            let c = bytes[offset], f = bytes[offset + 1]
            guard f < 100 else {
                throw DatasetError.invalidValue(path: path, reason: "record \(record) has fine label \(f), expected 0…99")
            }
            guard Int(c) == Self.coarseOfFine[Int(f)] else {
                throw DatasetError.invalidValue(path: path, reason: "record \(record) has coarse label \(c) but fine label \(f) belongs to coarse class \(Self.coarseOfFine[Int(f)]) (is this CIFAR-10 data?)")
            }
            coarse.append(c)
            fine.append(f)
            pixels += bytes[(offset + 2)..<(offset + recordLength)]
        }
        self.name = name
        self.coarseLabels = coarse
        self.fineLabels = fine
        self.pixels = pixels
    }

    public var count: Int { coarseLabels.count }
    public var inputShape: [Int] { [3, 32, 32] }
    public var tasks: [TaskSpec] {
        Self.domainNames.map { TaskSpec(name: $0, kind: .classification(classes: 5), labelShape: []) }
    }

    /// Indices of the images of domain `domain` (0…19), in file order.
    public func indices(ofDomain domain: Int) -> [Int] {
        coarseLabels.indices.filter { Int(coarseLabels[$0]) == domain }
    }

    /// Domain `domain` alone, as a data set (still with all 20 tasks; the others are −1).
    public func domain(_ domain: Int) throws -> DatasetSubset {
        guard (0..<20).contains(domain) else { throw DatasetError.invalidArgument("CIFAR-100 domain \(domain) is outside 0…19") }
        return try DatasetSubset(self, indices: indices(ofDomain: domain), name: "\(name)/\(Self.domainNames[domain])")
    }

    public func example(at index: Int) throws -> Example {
        try checkIndex(index)
        let image = pixels[(index * 3072)..<((index + 1) * 3072)].map { Float($0) / 255 }
        var targets: [String: FloatArray] = [:]
        let domain = Int(coarseLabels[index])
        let label = Float(Self.domainLabel(ofFine: Int(fineLabels[index])))
        for (d, name) in Self.domainNames.enumerated() {
            targets[name] = FloatArray(shape: [], scalars: [d == domain ? label : -1])
        }
        return Example(input: FloatArray(shape: inputShape, scalars: image), targets: targets)
    }
}
