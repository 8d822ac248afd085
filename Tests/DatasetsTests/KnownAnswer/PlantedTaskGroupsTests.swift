import XCTest
@testable import TandemDatasets

/// The planted-task-groups generator: determinism, shapes, the declared grouping, the generative
/// model itself (inputs and labels recomputed from the latents), conflicting directions, class
/// balance and option errors.
final class PlantedTaskGroupsTests: XCTestCase {
    func dataset(_ change: (inout PlantedTaskGroupsOptions) -> Void = { _ in }) throws -> PlantedTaskGroups {
        var options = PlantedTaskGroupsOptions()
        options.count = 500
        change(&options)
        return try PlantedTaskGroups(options: options)
    }

    func testSamplesDependOnlyOnSeedAndIndex() throws {
        let first = try dataset(), second = try dataset()
        // Any order, any instance: the same example.
        for index in [499, 0, 17, 250] { XCTAssertEqual(try first.example(at: index), try second.example(at: index)) }
        XCTAssertNotEqual(try first.example(at: 3), try first.example(at: 4))
        let reseeded = try dataset { $0.seed = 1 }
        XCTAssertNotEqual(try reseeded.example(at: 3).input, try first.example(at: 3).input)
        XCTAssertNotEqual(reseeded.mixing, first.mixing)
        // More samples do not change the earlier ones.
        let longer = try dataset { $0.count = 900 }
        XCTAssertEqual(try longer.example(at: 123), try first.example(at: 123))
        XCTAssertThrowsError(try first.example(at: 500))
    }

    func testShapesNamesAndLabelRange() throws {
        let data = try dataset()
        XCTAssertEqual(data.inputShape, [16])
        XCTAssertEqual(data.taskNames, ["a1", "a2", "a3", "b1", "b2", "b3", "c1", "c2", "c3"])
        XCTAssertTrue(data.tasks.allSatisfy { $0.kind == .classification(classes: 4) && $0.labelShape == [] })
        for index in 0..<50 {
            let example = try data.example(at: index)
            XCTAssertEqual(example.input.shape, [16])
            XCTAssertEqual(Set(example.targets.keys), Set(data.taskNames))
            for target in example.targets.values {
                XCTAssertEqual(target.shape, [])
                XCTAssertTrue((0..<4).contains(Int(target.scalars[0])), "\(target.scalars)")
            }
        }
    }

    func testDeclaresItsPlantedGroups() throws {
        let data = try dataset()
        XCTAssertEqual(data.trueTaskGroups, [["a1", "a2", "a3"], ["b1", "b2", "b3"], ["c1", "c2", "c3"]])
        XCTAssertNoThrow(try data.validateTrueTaskGroups())
        // Sizes differ by at most one, the first groups taking the remainder.
        let uneven = try dataset { $0.taskCount = 7 }
        XCTAssertEqual(uneven.trueTaskGroups, [["a1", "a2", "a3"], ["b1", "b2"], ["c1", "c2"]])
        XCTAssertEqual(uneven.groupOfTask, [0, 0, 0, 1, 1, 2, 2])
        // Wrappers keep the declaration.
        XCTAssertEqual(try DatasetSubset(data, indices: [1, 2]).trueTaskGroups, data.trueTaskGroups)
        XCTAssertEqual(try CorruptedDataset(data, corruptions: ["a1": .replaceLabels(fraction: 0.5)], seed: 0).trueTaskGroups, data.trueTaskGroups)
    }

    /// x = A z + σ ε and y_t = #{τ_{t,k} < φ_t(f_{g(t)})}, recomputed from the latents by hand.
    func testFollowsTheGenerativeModel() throws {
        let data = try dataset()
        for index in [0, 9, 321] {
            let (factors, noise) = data.latents(at: index)
            XCTAssertEqual(factors.count, 6)
            XCTAssertEqual(noise.count, 16)
            let example = try data.example(at: index)
            for row in 0..<16 {
                var value = 0.5 * noise[row]
                for column in 0..<6 { value += data.mixing[row][column] * factors[column] }
                XCTAssertEqual(example.input.scalars[row], Float(value), accuracy: 1e-5)
            }
            for (task, name) in data.taskNames.enumerated() {
                let factor = factors[data.groupOfTask[task]]
                let (sign, curvature) = data.transforms[task]
                let value = sign * factor + curvature * factor * factor
                let expected = data.thresholds[task].filter { $0 < value }.count
                XCTAssertEqual(example.targets[name]!.scalars, [Float(expected)], "\(name) at \(index)")
            }
        }
        // A task's label is a function of its group's factor alone: thresholds are increasing and the
        // label at a factor value does not depend on anything else.
        for task in 0..<9 {
            XCTAssertEqual(data.thresholds[task], data.thresholds[task].sorted())
            XCTAssertEqual(data.thresholds[task].count, 3)
            XCTAssertTrue([1.0, -1.0].contains(data.transforms[task].sign))
            XCTAssertTrue((-0.5...0.5).contains(data.transforms[task].curvature))
        }
    }

    func testConflictingGroupsHaveOverlappingDirections() throws {
        let data = try dataset { $0.overlap = 0.7 }
        func column(_ k: Int) -> [Double] { data.mixing.map { $0[k] } }
        func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        for k in 0..<6 { XCTAssertEqual(dot(column(k), column(k)), 1, accuracy: 1e-12) }
        XCTAssertEqual(dot(column(0), column(1)), 0.7, accuracy: 1e-12)  // groups a and b conflict
        let independent = try dataset { $0.conflictingPairs = 0 }
        XCTAssertNotEqual(dot(independent.mixing.map { $0[0] }, independent.mixing.map { $0[1] }), 0.7, accuracy: 0.01)
    }

    func testClassesAreAboutEquallyFrequent() throws {
        let data = try dataset { $0.count = 2000 }
        var counts = [[Int]](repeating: [0, 0, 0, 0], count: 9)
        for index in 0..<2000 {
            let example = try data.example(at: index)
            for (task, name) in data.taskNames.enumerated() { counts[task][Int(example.targets[name]!.scalars[0])] += 1 }
        }
        for (task, row) in counts.enumerated() {
            for count in row { XCTAssertEqual(Double(count) / 2000, 0.25, accuracy: 0.05, "task \(data.taskNames[task]): \(row)") }
        }
    }

    func testInvalidOptionsAreNamed() {
        func assertFails(_ change: (inout PlantedTaskGroupsOptions) -> Void, _ expected: String, line: UInt = #line) {
            XCTAssertThrowsError(try dataset(change), line: line) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(error)", line: line)
            }
        }
        assertFails({ $0.taskCount = 13 }, "tasks must be 2…12")
        assertFails({ $0.groupCount = 5 }, "9 tasks make at most 4 groups of at least two tasks, got groups: 5")
        assertFails({ $0.inputSize = 5 }, "at least one dimension per factor (groups + nuisance = 6), got input_size: 5")
        assertFails({ $0.conflictingPairs = 2 }, "3 groups make at most 1 conflicting pairs, got conflicts: 2")
        assertFails({ $0.overlap = 1 }, "overlap must be in [0, 1), got 1.0")
        assertFails({ $0.classCount = 1 }, "classes must be ≥ 2")
    }
}
