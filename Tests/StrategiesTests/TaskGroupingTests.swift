import XCTest
import TandemCore
import TandemStrategies

/// TAG's grouping search (dynamic programming over task subsets) against trying every combination of groups.
final class TaskGroupingTests: XCTestCase {
    func randomAffinity(_ t: Int, generator: inout SeededGenerator) -> [[Double]] {
        (0..<t).map { _ in (0..<t).map { _ in Double.random(in: -1...1, using: &generator) } }
    }

    func testScoreOfATaskInAGroup() {
        let affinity: [[Double]] = [[1, 0.5, -0.2], [0.1, 1, 0.4], [0.3, -0.6, 1]]
        XCTAssertEqual(TaskGrouping.score(of: 0, in: [0, 1, 2], affinity: affinity), (0.1 + 0.3) / 2)
        XCTAssertEqual(TaskGrouping.score(of: 1, in: [0, 1], affinity: affinity), 0.5)
        XCTAssertEqual(TaskGrouping.score(of: 2, in: [2], affinity: affinity), 0, "alone: nothing transfers")
    }

    func testSmallExampleByHand() throws {
        // 0 and 1 help each other, 2 hurts both and is hurt by both: two groups {0,1}, {2}.
        let affinity: [[Double]] = [[1, 0.8, -0.5], [0.7, 1, -0.4], [-0.3, -0.2, 1]]
        let grouping = try TaskGrouping.best(affinity: affinity, groupCount: 2)
        XCTAssertEqual(Set(grouping.groups), Set([[0, 1], [2]]))
        XCTAssertEqual(grouping.score, 0.7 + 0.8 + 0, accuracy: 1e-12)
        XCTAssertEqual(grouping.groups[grouping.servingGroups[2]], [2])
    }

    func testSearchEqualsBruteForce() throws {
        var generator = SeededGenerator(seed: 42)
        var cases = 0
        for t in 2...6 {
            for _ in 0..<6 {
                let affinity = randomAffinity(t, generator: &generator)
                for groups in 1...min(3, t) {
                    for partition in [false, true] {
                        let fast = try TaskGrouping.best(affinity: affinity, groupCount: groups, partition: partition)
                        let slow = try TaskGrouping.bruteForce(affinity: affinity, groupCount: groups, partition: partition)
                        XCTAssertEqual(fast.score, slow.score, accuracy: 1e-12, "T=\(t), \(groups) groups, partition \(partition)")
                        XCTAssertEqual(fast.groups.count, groups)
                        XCTAssertEqual(Set(fast.groups.flatMap { $0 }), Set(0..<t), "every task covered")
                        if partition { XCTAssertEqual(fast.groups.flatMap { $0 }.count, t, "disjoint") }
                        XCTAssertEqual(try TaskGrouping.evaluate(groups: fast.groups, affinity: affinity).score, fast.score, accuracy: 1e-12)
                        cases += 1
                    }
                }
            }
        }
        XCTAssertEqual(cases, 6 * (2 * 2 + 3 * 2 * 4))
    }

    func testEightTasksThreeGroupsAgainstBruteForce() throws {
        var generator = SeededGenerator(seed: 7)
        let eight = randomAffinity(8, generator: &generator)
        XCTAssertEqual(try TaskGrouping.best(affinity: eight, groupCount: 3).score,
                       try TaskGrouping.bruteForce(affinity: eight, groupCount: 3).score, accuracy: 1e-12)
    }

    func testTenTasksTwoGroupsAgainstBruteForce() throws {
        var generator = SeededGenerator(seed: 8)
        let ten = randomAffinity(10, generator: &generator)
        XCTAssertEqual(try TaskGrouping.best(affinity: ten, groupCount: 2).score,
                       try TaskGrouping.bruteForce(affinity: ten, groupCount: 2).score, accuracy: 1e-12)
    }

    func testTwelveTasksMoreGroups() throws {
        var generator = SeededGenerator(seed: 9)
        let twelve = randomAffinity(12, generator: &generator)
        // No reference here (C(4095, 3) combinations); one more group never lowers the best total
        // when groups may overlap, and a partition is never better than overlapping groups.
        var previous = try TaskGrouping.best(affinity: twelve, groupCount: 2).score
        for groups in [3, 4, 5] {
            let grouping = try TaskGrouping.best(affinity: twelve, groupCount: groups)
            XCTAssertEqual(grouping.groups.count, groups)
            XCTAssertGreaterThanOrEqual(grouping.score, previous - 1e-12)
            XCTAssertLessThanOrEqual(try TaskGrouping.best(affinity: twelve, groupCount: groups, partition: true).score, grouping.score + 1e-12)
            previous = grouping.score
        }
    }

    func testInvalidInputs() {
        XCTAssertThrowsError(try TaskGrouping.best(affinity: [[1, 2]], groupCount: 1))
        XCTAssertThrowsError(try TaskGrouping.best(affinity: [[1, .nan], [0, 1]], groupCount: 1))
        XCTAssertThrowsError(try TaskGrouping.best(affinity: [[1, 0], [0, 1]], groupCount: 3, partition: true))
        XCTAssertThrowsError(try TaskGrouping.best(affinity: [[Double]](repeating: [Double](repeating: 0, count: 13), count: 13), groupCount: 2))
        XCTAssertThrowsError(try TaskGrouping.evaluate(groups: [[0]], affinity: [[1, 0], [0, 1]]), "task 1 in no group")
    }
}
