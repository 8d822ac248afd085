import Foundation
import XCTest
import TandemCore
@testable import TandemDatasets

/// The MTAN / Nash-MTL scale-crop-and-flip on hand-made arrays: PyTorch's resampling indices,
/// the crop window arithmetic, depth ÷ s, the flip negating the normals' x, labels staying valid,
/// and seeded, reproducible draws.
final class DenseAugmentationTests: XCTestCase {
    let tasks = [
        TaskSpec(name: "segmentation", kind: .segmentation(classes: 13), labelShape: [4, 6]),
        TaskSpec(name: "depth", kind: .depth, labelShape: [1, 4, 6]),
        TaskSpec(name: "normals", kind: .normals, labelShape: [3, 4, 6]),
    ]

    /// A 4×6 sample: image channel c at (y, x) = 100c + 10y + x (linear in y and x), labels with
    /// −1 and several classes, depth with invalid zeros, normals with an invalid (all-zero) pixel.
    func example() -> Example {
        let (h, w) = (4, 6)
        var image: [Float] = [], labels: [Float] = [], depth: [Float] = []
        for c in 0..<3 { for y in 0..<h { for x in 0..<w { image.append(Float(100 * c + 10 * y + x)) } } }
        for p in 0..<(h * w) {
            let label: Int = p % 5 == 0 ? -1 : (p * 7) % 13
            labels.append(Float(label))
            depth.append(p % 4 == 0 ? 0 : Float(1 + p))
        }
        var normals = [Float](repeating: 0, count: 3 * h * w)
        for p in 1..<(h * w) {
            let x = Float(p % w - 2) / 4, y = Float(p / w - 2) / 4
            let length = (x * x + y * y + 1).squareRoot()
            normals[p] = x / length; normals[h * w + p] = y / length; normals[2 * h * w + p] = 1 / length
        }
        return Example(input: FloatArray(shape: [3, h, w], scalars: image),
                       targets: ["segmentation": FloatArray(shape: [h, w], scalars: labels),
                                 "depth": FloatArray(shape: [1, h, w], scalars: depth),
                                 "normals": FloatArray(shape: [3, h, w], scalars: normals)])
    }

    func testNearestIndicesArePyTorchs() {
        // F.interpolate(mode="nearest"): ⌊dst · in/out⌋ in float32, clamped.
        XCTAssertEqual((0..<6).map { WindowResampling.nearestSource($0, inputSize: 4, outputSize: 6) }, [0, 0, 1, 2, 2, 3])
        XCTAssertEqual((0..<4).map { WindowResampling.nearestSource($0, inputSize: 3, outputSize: 4) }, [0, 0, 1, 2])
        XCTAssertEqual((0..<6).map { WindowResampling.nearestSource($0, inputSize: 3, outputSize: 6) }, [0, 0, 1, 1, 2, 2])
        XCTAssertEqual((0..<5).map { WindowResampling.nearestSource($0, inputSize: 5, outputSize: 5) }, [0, 1, 2, 3, 4])
        // 240 → 288 (NYUv2 at s = 1.2): ratio 0.8333333f.
        let rows = (0..<288).map { WindowResampling.nearestSource($0, inputSize: 240, outputSize: 288) }
        XCTAssertEqual(Array(rows.prefix(8)), [0, 0, 1, 2, 3, 4, 5, 5])
        XCTAssertEqual(rows.last, 239)
    }

    func testBilinearIndicesAndWeightsAreAlignCorners() {
        // align_corners=True, 3 → 5: sources 0, 0.5, 1, 1.5, 2.
        let sources = (0..<5).map { WindowResampling.linearSource($0, inputSize: 3, outputSize: 5) }
        XCTAssertEqual(sources.map(\.first), [0, 0, 1, 1, 2])
        XCTAssertEqual(sources.map(\.second), [1, 1, 2, 2, 2])
        XCTAssertEqual(sources.map(\.secondWeight), [0, 0.5, 0, 0.5, 0])
        XCTAssertEqual(sources.map(\.firstWeight), [1, 0.5, 1, 0.5, 1])
        XCTAssertEqual(WindowResampling.linearSource(3, inputSize: 7, outputSize: 7),
                       WindowResampling.LinearSource(first: 3, second: 3, firstWeight: 1, secondWeight: 0))
    }

    func testCropWindowSizesTruncateAsTheReference() {
        // int(height / sc) in double precision, as the reference's Python.
        XCTAssertTrue(ScaleCropFlip.windowSize(scale: 1.0, height: 288, width: 384) == (288, 384))
        XCTAssertTrue(ScaleCropFlip.windowSize(scale: 1.2, height: 288, width: 384) == (240, 320))
        XCTAssertTrue(ScaleCropFlip.windowSize(scale: 1.5, height: 288, width: 384) == (192, 256))
        XCTAssertTrue(ScaleCropFlip.windowSize(scale: 1.5, height: 4, width: 6) == (2, 4))
        XCTAssertTrue(ScaleCropFlip.windowSize(scale: 1.2, height: 32, width: 32) == (26, 26))
    }

    /// The crop of rows 1…2, columns 2…4 (s = 2 on 4×6… with W/s truncated) resized back: the image,
    /// linear in y and x, stays linear (bilinear interpolation with aligned corners reproduces it),
    /// its corners are the window's corners exactly, labels and depth are nearest-neighbour copies
    /// (depth ÷ s), and a class stays a class of the input or −1.
    func testScaleCropArithmetic() throws {
        let sample = example()
        let transform = ScaleCropFlip(scale: 2, window: PixelWindow(top: 1, left: 2, height: 2, width: 3), flipped: false)
        let result = try transform.apply(to: sample, tasks: tasks)
        XCTAssertEqual(result.input.shape, [3, 4, 6])
        for c in 0..<3 {
            for y in 0..<4 {
                for x in 0..<6 {
                    let row: Float = 1 + Float(y) / 3, column: Float = 2 + 2 * Float(x) / 5
                    let expected: Float = Float(100 * c) + 10 * row + column
                    XCTAssertEqual(result.input.scalars[(c * 4 + y) * 6 + x], expected, accuracy: 1e-4, "c \(c) y \(y) x \(x)")
                }
            }
            // Corners exactly: (1, 2), (1, 4), (2, 2), (2, 4).
            let plane = Array(result.input.scalars[(c * 24)..<((c + 1) * 24)])
            XCTAssertEqual([plane[0], plane[5], plane[18], plane[23]], [12, 14, 22, 24].map { Float(100 * c + $0) })
        }
        let rows = [0, 0, 1, 1].map { 1 + $0 }, columns = [0, 0, 1, 1, 2, 2].map { 2 + $0 }
        let labels = sample.targets["segmentation"]!.scalars, depth = sample.targets["depth"]!.scalars
        for y in 0..<4 {
            for x in 0..<6 {
                let source = rows[y] * 6 + columns[x]
                XCTAssertEqual(result.targets["segmentation"]!.scalars[y * 6 + x], labels[source])
                XCTAssertEqual(result.targets["depth"]!.scalars[y * 6 + x], depth[source] / 2)
            }
        }
        XCTAssertEqual(result.targets["segmentation"]!.shape, [4, 6])
        XCTAssertEqual(result.targets["depth"]!.shape, [1, 4, 6])
        XCTAssertTrue(result.targets["depth"]!.scalars.contains(0), "an invalid depth stays 0")
        XCTAssertTrue(result.targets["segmentation"]!.scalars.allSatisfy { $0 == -1 || ($0 >= 0 && $0 < 13 && $0 == $0.rounded()) })
        XCTAssertTrue(Set(result.targets["segmentation"]!.scalars).isSubset(of: Set(labels)))
    }

    func testScaleOneWithoutFlipIsTheIdentityAndTheFlipMirrorsAndNegatesNormalsX() throws {
        let sample = example()
        let identity = ScaleCropFlip(scale: 1, window: PixelWindow(top: 0, left: 0, height: 4, width: 6), flipped: false)
        XCTAssertEqual(try identity.apply(to: sample, tasks: tasks), sample)

        let flip = ScaleCropFlip(scale: 1, window: PixelWindow(top: 0, left: 0, height: 4, width: 6), flipped: true)
        let flipped = try flip.apply(to: sample, tasks: tasks)
        func mirrored(_ array: FloatArray, planes: Int) -> [Float] {
            var result: [Float] = []
            for row in 0..<(planes * 4) { for x in 0..<6 { result.append(array.scalars[row * 6 + 5 - x]) } }
            return result
        }
        XCTAssertEqual(flipped.input.scalars, mirrored(sample.input, planes: 3))
        XCTAssertEqual(flipped.targets["segmentation"]!.scalars, mirrored(sample.targets["segmentation"]!, planes: 1))
        XCTAssertEqual(flipped.targets["depth"]!.scalars, mirrored(sample.targets["depth"]!, planes: 1))
        let normals = mirrored(sample.targets["normals"]!, planes: 3)
        XCTAssertEqual(Array(flipped.targets["normals"]!.scalars[0..<24]), normals[0..<24].map { -$0 }, "x negated")
        XCTAssertEqual(Array(flipped.targets["normals"]!.scalars[24...]), Array(normals[24...]), "y and z kept")

        // The flip follows the crop (the reference's order): it mirrors the cropped result.
        let window = PixelWindow(top: 1, left: 1, height: 3, width: 4)
        let cropped = try ScaleCropFlip(scale: 1.5, window: window, flipped: false).apply(to: sample, tasks: tasks)
        let both = try ScaleCropFlip(scale: 1.5, window: window, flipped: true).apply(to: sample, tasks: tasks)
        XCTAssertEqual(both.input.scalars, mirrored(cropped.input, planes: 3))
        XCTAssertEqual(Array(both.targets["normals"]!.scalars[0..<24]), mirrored(cropped.targets["normals"]!, planes: 3)[0..<24].map { -$0 })
    }

    func testDrawsCoverTheScalesOffsetsAndFlipsAndAreSeeded() throws {
        let augmentation = try DenseAugmentation()
        var scales: Set<Double> = [], tops: Set<Int> = [], lefts: Set<Int> = [], flips: Set<Bool> = []
        for slot in 0..<400 {
            var generator = DenseAugmentation.generator(seed: 7, position: 3, slot: slot)
            let draw = augmentation.draw(height: 8, width: 10, generator: &generator)
            let size = ScaleCropFlip.windowSize(scale: draw.scale, height: 8, width: 10)
            XCTAssertTrue(size == (draw.window.height, draw.window.width))
            XCTAssertTrue((0...(8 - size.height)).contains(draw.window.top) && (0...(10 - size.width)).contains(draw.window.left))
            scales.insert(draw.scale); flips.insert(draw.flipped)
            if draw.scale == 1.5 { tops.insert(draw.window.top); lefts.insert(draw.window.left) }
        }
        XCTAssertEqual(scales, [1.0, 1.2, 1.5])
        XCTAssertEqual(flips, [false, true])
        XCTAssertEqual(tops, Set(0...3), "at s = 1.5 the 5×6 window's top is 0…3")
        XCTAssertEqual(lefts, Set(0...4))

        // Same (seed, position, slot): the same bits; another seed, position or slot: another draw.
        let sample = example()
        func augmented(seed: UInt64, position: Int, slot: Int) throws -> Example {
            var generator = DenseAugmentation.generator(seed: seed, position: position, slot: slot)
            return try augmentation.apply(to: sample, tasks: tasks, generator: &generator)
        }
        XCTAssertEqual(try augmented(seed: 1, position: 2, slot: 0), try augmented(seed: 1, position: 2, slot: 0))
        let draws = try (0..<12).map { try augmented(seed: UInt64($0), position: 2, slot: 0) }
        XCTAssertGreaterThan(Set(draws.map(\.input.scalars)).count, 4, "different seeds give different augmentations")
        var a = DenseAugmentation.generator(seed: 1, position: 2, slot: 0), b = DenseAugmentation.generator(seed: 1, position: 3, slot: 0)
        var c = DenseAugmentation.generator(seed: 1, position: 2, slot: 1)
        let first = a.next()
        XCTAssertNotEqual(first, b.next())
        XCTAssertNotEqual(first, c.next())
    }

    func testBadSettingsAndLabelsAreErrorsNamingThem() throws {
        XCTAssertThrowsError(try DenseAugmentation(scales: [])) { XCTAssertTrue("\($0)".contains("at least one scale"), "\($0)") }
        XCTAssertThrowsError(try DenseAugmentation(scales: [1, 0.5])) { XCTAssertTrue("\($0)".contains("0.5"), "\($0)") }
        XCTAssertThrowsError(try DenseAugmentation(flipProbability: 2))
        let transform = ScaleCropFlip(scale: 1, window: PixelWindow(top: 0, left: 0, height: 4, width: 6), flipped: false)
        var sample = example()
        XCTAssertThrowsError(try transform.apply(to: sample, tasks: [TaskSpec(name: "depth", kind: .regression(outputs: 1), labelShape: [1, 4, 6])])) {
            XCTAssertTrue("\($0)".contains("task depth") && "\($0)".contains("per-pixel"), "\($0)")
        }
        sample.targets["normals"] = FloatArray(shape: [3, 2, 6], repeating: 0)
        XCTAssertThrowsError(try transform.apply(to: sample, tasks: tasks)) {
            XCTAssertTrue("\($0)".contains("normals label has shape [3, 2, 6]"), "\($0)")
        }
        let outside = ScaleCropFlip(scale: 1.5, window: PixelWindow(top: 3, left: 0, height: 2, width: 4), flipped: false)
        XCTAssertThrowsError(try outside.apply(to: example(), tasks: tasks))
    }
}
