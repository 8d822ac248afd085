import XCTest
import TandemStrategies

/// Shared inputs and assertions of the strategy-mathematics tests (STRATEGIES.md §0).
enum MathFixtures {
    static let g2: [[Float]] = [[2, 1, -1], [-1, 1.5, 0.5]]
    static let m2: [[Double]] = [[6, -1], [-1, 3.5]]
    static let g3: [[Float]] = [[1, 2, -1, 0.5], [-2, 1, 0.5, -1], [0.5, -1.5, 2, -1]]
    static let m3: [[Double]] = [[6.25, -1, -5], [-1, 6.25, -0.5], [-5, -0.5, 7.5]]
    static let l3: [Double] = [0.8, 1.5, 2.2]

    static func matrix(_ rows: [[Float]]) -> TaskGradientMatrix { try! TaskGradientMatrix(rows: rows) }

    static func matrixVector(_ m: [[Double]], _ v: [Double]) -> [Double] { m.map { dot($0, v) } }
    static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
    static func dot(_ a: [Float], _ b: [Float]) -> Double { zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) } }
}

/// `|actual − expected| ≤ relative·|expected| + absolute` for every entry, with a readable failure.
func assertClose(_ actual: [Double], _ expected: [Double], relative: Double = 1e-5, absolute: Double = 1e-9,
                 _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    guard actual.count == expected.count else {
        XCTFail("\(message): \(actual.count) entries, expected \(expected.count): \(actual) vs \(expected)", file: file, line: line)
        return
    }
    for (a, e) in zip(actual, expected) where !(abs(a - e) <= relative * abs(e) + absolute) {
        XCTFail("\(message): \(actual) vs expected \(expected)", file: file, line: line)
        return
    }
}

func assertClose(_ actual: [Float], _ expected: [Double], relative: Double = 1e-5, absolute: Double = 1e-7,
                 _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    assertClose(actual.map(Double.init), expected, relative: relative, absolute: absolute, message, file: file, line: line)
}

func assertClose(_ actual: Double, _ expected: Double, relative: Double = 1e-5, absolute: Double = 1e-9,
                 _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    assertClose([actual], [expected], relative: relative, absolute: absolute, message, file: file, line: line)
}

func assertClose(_ actual: [[Double]], _ expected: [[Double]], relative: Double = 1e-5, absolute: Double = 1e-9,
                 _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, message, file: file, line: line)
    for (a, e) in zip(actual, expected) { assertClose(a, e, relative: relative, absolute: absolute, message, file: file, line: line) }
}

/// Asserts that `body` throws a `StrategyMathError` matching `predicate`.
func assertThrowsMathError<T>(_ body: @autoclosure () throws -> T, _ message: String = "",
                              file: StaticString = #filePath, line: UInt = #line,
                              where predicate: (StrategyMathError) -> Bool = { _ in true }) {
    do {
        _ = try body()
        XCTFail("expected a StrategyMathError: \(message)", file: file, line: line)
    } catch let error as StrategyMathError {
        XCTAssertTrue(predicate(error), "unexpected error \(error): \(message)", file: file, line: line)
        XCTAssertFalse(error.description.isEmpty, file: file, line: line)
    } catch {
        XCTFail("unexpected error type \(error): \(message)", file: file, line: line)
    }
}

/// SplitMix64: a tiny seeded generator for tests that need randomness of their own.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
