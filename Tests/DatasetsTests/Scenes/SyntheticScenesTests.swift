import Foundation
import XCTest
@testable import TandemDatasets

final class SyntheticScenesTests: XCTestCase {
    func small(count: Int = 12, seed: UInt64 = 3, classCount: Int = 13) throws -> SyntheticScenes {
        try SyntheticScenes(options: SyntheticScenesOptions(count: count, height: 48, width: 64, seed: seed, classCount: classCount))
    }

    func testSamplesAreDeterministicAndIndependentOfOrderAndThreads() throws {
        let scenes = try small()
        let alone = try scenes.sample(at: 7)
        XCTAssertEqual(alone, try scenes.sample(at: 7))
        let batch = try scenes.samples([9, 7, 2], threads: 2)
        XCTAssertEqual(batch[1], alone)
        XCTAssertEqual(try scenes.samples([9, 7, 2], threads: 1), batch)
        // A larger set with the same seed has the same sample 7: it depends on (seed, 7) only.
        var options = scenes.options
        options.count = 500
        XCTAssertEqual(try SyntheticScenes(options: options).sample(at: 7), alone)
        XCTAssertNotEqual(try scenes.sample(at: 8).image, alone.image)
        XCTAssertNotEqual(try small(seed: 4).sample(at: 7).image, alone.image)
        XCTAssertThrowsError(try scenes.sample(at: 12))
    }

    func testLabelRangesAndInvalidMarkers() throws {
        for classCount in [13, 6] {
            let scenes = try small(count: 10, classCount: classCount)
            var seen = Set<Int32>()
            for sample in try scenes.allSamples() {
                seen.formUnion(sample.labels)
                XCTAssertTrue(sample.labels.allSatisfy { $0 >= -1 && $0 < Int32(classCount) })
                XCTAssertTrue(sample.image.allSatisfy { $0 >= 0 && $0 <= 1 })
                let pixels = sample.height * sample.width
                for p in 0..<pixels {
                    let n = (sample.normals[p], sample.normals[pixels + p], sample.normals[2 * pixels + p])
                    if sample.depth[p] == 0 {
                        XCTAssertTrue(n == (0, 0, 0), "invalid depth must have an invalid normal")
                    } else {
                        XCTAssertGreaterThan(sample.depth[p], 0.05)
                        XCTAssertEqual(n.0 * n.0 + n.1 * n.1 + n.2 * n.2, 1, accuracy: 1e-5)
                    }
                }
            }
            // Floor, wall and ceiling are always present in some sample.
            let scheme = scenes.scheme
            for placement in [SceneClassStyle.Placement.floorSurface, .wallSurface] {
                XCTAssertTrue(seen.contains(Int32(scheme.index(of: placement))))
            }
            XCTAssertGreaterThan(seen.count, 4)
        }
        XCTAssertThrowsError(try small(classCount: 3))
    }

    func testNormalsFaceTheCameraAndEachInstanceHasOneLabel() throws {
        let scenes = try small(count: 6)
        for index in 0..<6 {
            let sample = try scenes.sample(at: index)
            let camera = scenes.scene(at: index).camera
            let (h, w) = (sample.height, sample.width)
            var labelOf: [Int32: Int32] = [:]
            for row in 0..<h {
                for column in 0..<w {
                    let p = row * w + column
                    if let label = labelOf[sample.instances[p]] {
                        XCTAssertEqual(label, sample.labels[p])
                    } else {
                        labelOf[sample.instances[p]] = sample.labels[p]
                    }
                    guard sample.depth[p] > 0 else { continue }
                    let ray = ((Double(column) + 0.5 - Double(w) / 2) / camera.focalLength,
                               (Double(row) + 0.5 - Double(h) / 2) / camera.focalLength, 1.0)
                    let dot = Double(sample.normals[p]) * ray.0 + Double(sample.normals[h * w + p]) * ray.1
                        + Double(sample.normals[2 * h * w + p]) * ray.2
                    XCTAssertLessThan(dot, 1e-9)
                }
            }
        }
    }

    func testDepthIsExactlyConsistentWithTheGeometry() throws {
        let scenes = try small(count: 6)
        for index in 0..<6 {
            let sample = try scenes.sample(at: index)
            let scene = scenes.scene(at: index)
            for p in 0..<(sample.height * sample.width) where sample.depth[p] > 0 {
                let point = scene.camera.point(row: Double(p / sample.width) + 0.5, column: Double(p % sample.width) + 0.5,
                                               depth: Double(sample.depth[p]), height: sample.height, width: sample.width)
                let tolerance = 1e-6 * Double(sample.depth[p]) * 10
                switch sample.instances[p] {
                case 0: XCTAssertEqual(point.y, 0, accuracy: tolerance)
                case 1: XCTAssertEqual(point.y, scene.roomSize.y, accuracy: tolerance)
                case 2: XCTAssertEqual(point.x, 0, accuracy: tolerance)
                case 3: XCTAssertEqual(point.x, scene.roomSize.x, accuracy: tolerance)
                case 4: XCTAssertEqual(point.z, 0, accuracy: tolerance)
                case 5: XCTAssertEqual(point.z, scene.roomSize.z, accuracy: tolerance)
                default:
                    // Object points lie on the object's surface.
                    let object = scene.objects[Int(sample.instances[p]) - 6]
                    if case let .sphere(center, radius) = object.shape {
                        XCTAssertEqual((point - center).length, radius, accuracy: tolerance)
                    }
                }
                XCTAssertTrue((-1e-5...scene.roomSize.x + 1e-5).contains(point.x) && (-1e-5...scene.roomSize.z + 1e-5).contains(point.z),
                              "\(point) lies outside the room \(scene.roomSize)")
            }
        }
    }

    /// Normals from depth by finite differences agree with the rendered normals wherever three
    /// neighbouring pixels show the same plane (same instance and identical rendered normal).
    func testFiniteDifferenceNormalsFromDepthAgreeOnPlanes() throws {
        let scenes = try small(count: 8)
        var compared = 0
        var worst = 0.0
        for index in 0..<8 {
            let s = try scenes.sample(at: index)
            let camera = scenes.scene(at: index).camera
            let (h, w) = (s.height, s.width)
            func point(_ r: Int, _ c: Int) -> Vector3 {
                let d = Double(s.depth[r * w + c])
                return Vector3(d * (Double(c) + 0.5 - Double(w) / 2) / camera.focalLength,
                               d * (Double(r) + 0.5 - Double(h) / 2) / camera.focalLength, d)
            }
            func normal(_ p: Int) -> Vector3 { Vector3(Double(s.normals[p]), Double(s.normals[h * w + p]), Double(s.normals[2 * h * w + p])) }
            for r in 0..<(h - 1) {
                for c in 0..<(w - 1) {
                    let p = r * w + c, right = p + 1, below = p + w
                    guard s.depth[p] > 0, s.instances[right] == s.instances[p], s.instances[below] == s.instances[p],
                          normal(right) == normal(p), normal(below) == normal(p) else { continue }
                    var estimate = (point(r, c + 1) - point(r, c)).cross(point(r + 1, c) - point(r, c)).normalized
                    if estimate.dot(point(r, c)) > 0 { estimate = -estimate }
                    let angle = acos(min(1, estimate.dot(normal(p)))) * 180 / Double.pi
                    worst = max(worst, angle)
                    compared += 1
                }
            }
        }
        XCTAssertGreaterThan(compared, 10_000)
        XCTAssertLessThan(worst, 0.5, "finite-difference normals differ from rendered normals by up to \(worst)°")
    }

    func testOptionsChangeWhatIsRendered() throws {
        var options = SyntheticScenesOptions(count: 4, height: 20, width: 30, seed: 1)
        options.objectCount = 0...0
        options.wallObjectCount = 0...0
        let empty = try SyntheticScenes(options: options)
        let sample = try empty.sample(at: 0)
        XCTAssertEqual(sample.image.count, 3 * 20 * 30)
        XCTAssertEqual(Set(sample.labels).subtracting([2, 4, 11]), [])  // ceiling, floor, wall only
        XCTAssertEqual(empty.scene(at: 0).objects.count, 0)

        options.imageNoise = 0.05
        let noisy = try SyntheticScenes(options: options).sample(at: 0)
        XCTAssertNotEqual(noisy.image, sample.image)
        XCTAssertEqual(noisy.labels, sample.labels)
        XCTAssertEqual(noisy.depth, sample.depth)

        let example = sample.example()
        XCTAssertEqual(example.input.shape, [3, 20, 30])
        XCTAssertEqual(example.targets["segmentation"]?.shape, [20, 30])
        XCTAssertEqual(example.targets["depth"]?.shape, [1, 20, 30])
        XCTAssertEqual(example.targets["normals"]?.shape, [3, 20, 30])
        XCTAssertEqual(empty.tasks.map(\.name), ["segmentation", "depth", "normals"])

        options.height = 1
        XCTAssertThrowsError(try SyntheticScenes(options: options))
    }

    /// Reports generation speed (never asserted): the target is a 1,000-image 64×96 set in < 10 s.
    func testReportGenerationSpeed() throws {
        let scenes = try SyntheticScenes(options: SyntheticScenesOptions(count: 1000, height: 64, width: 96, seed: 0))
        let start = Date()
        let samples = try scenes.allSamples()
        let seconds = Date().timeIntervalSince(start)
        XCTAssertEqual(samples.count, 1000)
        print("synthetic scenes: 1000 samples at 64×96 rendered in \(String(format: "%.2f", seconds)) s on 2 threads")
    }
}
