import Foundation
import XCTest
import TandemCore
@testable import TandemDatasets

/// The relatedness dial and the harmful-auxiliary setting of the synthetic scenes, measured on
/// rendered samples: at ρ = 1 an object's class is decided by its geometry (what depth and normals
/// show) and its colour says nothing; at ρ = 0 the reverse.
final class SceneRelatednessTests: XCTestCase {
    /// 6 classes: floor, wall, ceiling and three floor-standing object classes — a box class, a
    /// sphere class and a cylinder class in the generic scheme.
    func scenes(relatedness: Double?, count: Int = 150, auxiliaryTargets: SyntheticScenesOptions.AuxiliaryTargets? = nil) throws -> SyntheticScenes {
        var options = SyntheticScenesOptions(count: count, height: 48, width: 64, seed: 11, classCount: 6)
        options.relatedness = relatedness
        options.auxiliaryTargets = auxiliaryTargets
        return try SyntheticScenes(options: options)
    }

    /// Per object class (3, 4, 5): the instances seen with at least `minimum` pixels, each as
    /// (whether its surface is made of planar faces only, its mean RGB). Planar: its normals take
    /// at most three distinct directions (a box shows at most three faces; a sphere or a
    /// cylinder's side shows a continuum).
    func instances(of scenes: SyntheticScenes, minimum: Int = 12) throws -> [Int32: [(planar: Bool, colour: [Double])]] {
        var result: [Int32: [(Bool, [Double])]] = [:]
        for sample in try scenes.allSamples() {
            let pixels = sample.height * sample.width
            var members: [Int32: [Int]] = [:]
            for p in 0..<pixels where sample.instances[p] >= 6 && sample.labels[p] >= 3 { members[sample.instances[p], default: []].append(p) }
            for (_, points) in members where points.count >= minimum {
                let label = sample.labels[points[0]]
                var directions = Set<[Int]>()
                var colour = [0.0, 0.0, 0.0]
                for p in points {
                    directions.insert((0..<3).map { Int((sample.normals[$0 * pixels + p] * 20).rounded()) })
                    for c in 0..<3 { colour[c] += Double(sample.image[c * pixels + p]) / Double(points.count) }
                }
                result[label, default: []].append((directions.count <= 3, colour))
            }
        }
        return result
    }

    func planarShare(_ list: [(planar: Bool, colour: [Double])]) -> Double {
        Double(list.filter(\.planar).count) / Double(list.count)
    }

    /// Saturation (max − min)/max of a mean colour.
    func saturation(_ colour: [Double]) -> Double { (colour.max()! - colour.min()!) / max(colour.max()!, 1e-9) }

    func testAtRhoOneTheClassFollowsGeometryAndColourSaysNothing() throws {
        let scenes = try scenes(relatedness: 1)
        for index in 0..<scenes.count {
            for object in scenes.scene(at: index).objects where object.classIndex >= 3 {
                XCTAssertEqual(object.cue, .geometry)
            }
        }
        let seen = try instances(of: scenes)
        XCTAssertEqual(Set(seen.keys), [3, 4, 5])
        let shares = [3, 4, 5].map { planarShare(seen[Int32($0)]!) }
        print("ρ = 1: planar share per class \(shares), instances \([3, 4, 5].map { seen[Int32($0)]!.count })")
        XCTAssertGreaterThan(shares[0], 0.95, "the box class is planar")
        XCTAssertLessThan(shares[1], 0.05, "the sphere class is curved")
        XCTAssertLessThan(shares[2], 0.2, "the cylinder class is curved (but for a cylinder seen by its cap alone)")
        // Every object is grey (up to the warm tint of the light): its colour carries nothing of its class.
        let greys = seen.values.flatMap { $0.map { saturation($0.colour) } }
        print("ρ = 1: object saturation max \(greys.max()!), mean \(greys.reduce(0, +) / Double(greys.count))")
        for (_, list) in seen { for instance in list { XCTAssertLessThan(saturation(instance.colour), 0.25, "\(instance.colour)") } }
    }

    func testAtRhoZeroTheClassFollowsAppearanceAndGeometrySaysNothing() throws {
        let scenes = try scenes(relatedness: 0)
        for index in 0..<scenes.count {
            for object in scenes.scene(at: index).objects where object.classIndex >= 3 {
                XCTAssertEqual(object.cue, .appearance)
            }
        }
        let seen = try instances(of: scenes)
        let shares = [3, 4, 5].map { planarShare(seen[Int32($0)]!) }
        print("ρ = 0: planar share per class \(shares), instances \([3, 4, 5].map { seen[Int32($0)]!.count })")
        // One shape distribution for every class (a third boxes), up to sampling noise.
        XCTAssertLessThan(shares.max()! - shares.min()!, 0.2, "\(shares)")
        for share in shares { XCTAssertEqual(share, 1.0 / 3, accuracy: 0.15) }
        // Each class has its own saturated colour: the mean colours differ and none is grey.
        let means = [3, 4, 5].map { label -> [Double] in
            let list = seen[Int32(label)]!
            return (0..<3).map { c in list.map { $0.colour[c] }.reduce(0, +) / Double(list.count) }
        }
        print("ρ = 0: mean colour per class \(means), saturation \(means.map(saturation))")
        for a in 0..<3 {
            XCTAssertGreaterThan(saturation(means[a]), 0.3, "\(means[a])")
            for b in (a + 1)..<3 {
                let distance = zip(means[a], means[b]).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
                XCTAssertGreaterThan(distance, 0.1, "classes \(a + 3) and \(b + 3): \(means[a]) vs \(means[b])")
            }
        }
    }

    func testIntermediateRhoMixesTheCuesPerObject() throws {
        let scenes = try scenes(relatedness: 0.5, count: 200)
        var cues: [SceneCue: Int] = [:]
        for index in 0..<scenes.count {
            for object in scenes.scene(at: index).objects where object.classIndex >= 3 { cues[object.cue!, default: 0] += 1 }
        }
        let share = Double(cues[.geometry]!) / Double(cues.values.reduce(0, +))
        XCTAssertEqual(share, 0.5, accuracy: 0.06, "\(cues)")
        // Optionally regenerate the documentation pictures (docs/datasets.md): the same four scenes
        // at ρ = 0, ½ and 1, and with unrelated auxiliary targets.
        if let folder = ProcessInfo.processInfo.environment["TANDEM_WRITE_RELATEDNESS_GRIDS"] {
            for (name, relatedness, targets) in [("relatedness-0", 0.0, nil), ("relatedness-0.5", 0.5, nil), ("relatedness-1", 1.0, nil),
                                                 ("unrelated-auxiliary", 1.0, SyntheticScenesOptions.AuxiliaryTargets.unrelated)] {
                var options = SyntheticScenesOptions(count: 4, height: 64, width: 96, seed: 2024, classCount: 6)
                options.relatedness = relatedness
                options.auxiliaryTargets = targets
                try SampleGrid.writePNG(try SyntheticScenes(options: options).allSamples(), classCount: 6,
                                        to: URL(fileURLWithPath: folder).appendingPathComponent("\(name).png"), scale: 2)
            }
        }
    }

    func testWithoutTheDialEveryObjectHasBothCues() throws {
        let plain = try scenes(relatedness: nil, count: 20)
        for index in 0..<plain.count {
            XCTAssertTrue(plain.scene(at: index).objects.allSatisfy { $0.cue == nil })
        }
        // The dial changes the scenes' objects, not the room, camera or light.
        let dialled = try scenes(relatedness: 1, count: 20)
        XCTAssertEqual(dialled.scene(at: 3).camera, plain.scene(at: 3).camera)
        XCTAssertEqual(dialled.scene(at: 3).roomSize, plain.scene(at: 3).roomSize)
        XCTAssertEqual(dialled.scene(at: 3).floorMaterial, plain.scene(at: 3).floorMaterial)
    }

    func testUnrelatedAuxiliaryTargetsShowAnotherScene() throws {
        let own = try scenes(relatedness: 1, count: 4)
        let harmful = try scenes(relatedness: 1, count: 4, auxiliaryTargets: .unrelated)
        for index in 0..<4 {
            let a = try own.sample(at: index), b = try harmful.sample(at: index)
            XCTAssertEqual(b.image, a.image, "the input is the same")
            XCTAssertEqual(b.labels, a.labels, "the primary labels are the same")
            XCTAssertNotEqual(b.depth, a.depth)
            XCTAssertNotEqual(b.normals, a.normals)
            var unused = SeededGenerator(seed: 0)
            let decoy = SceneRenderer.render(harmful.unrelatedScene(at: index), height: 48, width: 64, imageNoise: 0,
                                             noiseGenerator: &unused, invalidDepthOnWindows: true)
            XCTAssertEqual(b.depth, decoy.depth)
            XCTAssertEqual(b.normals, decoy.normals)
        }
        XCTAssertEqual(try harmful.sample(at: 2), try harmful.sample(at: 2), "deterministic")
    }

    func testWithoutRoomLabelsOnlyObjectsAreLabelled() throws {
        var options = SyntheticScenesOptions(count: 6, height: 32, width: 32, seed: 5, classCount: 6)
        options.relatedness = 0
        let labelled = try SyntheticScenes(options: options)
        options.roomLabels = false
        let objectsOnly = try SyntheticScenes(options: options)
        for index in 0..<6 {
            let a = try labelled.sample(at: index), b = try objectsOnly.sample(at: index)
            XCTAssertEqual(b.image, a.image)
            XCTAssertEqual(b.depth, a.depth)
            for p in 0..<(32 * 32) {
                if a.instances[p] < 6 {
                    XCTAssertEqual(b.labels[p], -1, "room surfaces are ignored")
                } else {
                    XCTAssertEqual(b.labels[p], a.labels[p], "objects keep their labels")
                }
            }
            XCTAssertTrue(b.labels.contains { $0 >= 3 }, "some object is labelled in sample \(index)")
        }
    }

    func testRelatednessOutsideTheUnitIntervalIsAnError() {
        for bad in [-0.1, 1.5, Double.nan] {
            var options = SyntheticScenesOptions(count: 2, height: 16, width: 16, seed: 0, classCount: 6)
            options.relatedness = bad
            XCTAssertThrowsError(try SyntheticScenes(options: options)) { error in
                XCTAssertTrue("\(error)".contains("relatedness must be in 0…1"), "\(error)")
            }
        }
    }
}
