/// Why a pure strategy-mathematics function rejected its input.
///
/// Every function in `Sources/Strategies` validates its arguments and throws one of these
/// instead of trapping, so a recipe with, say, mismatched task lists fails with a message.
public enum StrategyMathError: Error, Equatable, CustomStringConvertible {
    /// The function needs at least one task (T ≥ 1), or at least `minimum` tasks.
    case tooFewTasks(function: String, minimum: Int, actual: Int)
    /// Two inputs that must have the same length do not.
    case lengthMismatch(function: String, argument: String, expected: Int, actual: Int)
    /// A Gram (or other square) matrix is not square.
    case notSquare(function: String, rows: Int, columns: Int)
    /// An argument is outside its domain (negative variance, non-positive loss, NaN, …).
    case invalidArgument(function: String, reason: String)
    /// An iterative solver could not meet its tolerance (the result would be meaningless).
    case noSolution(function: String, reason: String)

    public var description: String {
        switch self {
        case let .tooFewTasks(function, minimum, actual):
            return "\(function): needs at least \(minimum) task(s), got \(actual)"
        case let .lengthMismatch(function, argument, expected, actual):
            return "\(function): \(argument) has length \(actual), expected \(expected)"
        case let .notSquare(function, rows, columns):
            return "\(function): the matrix must be square, got \(rows) rows with a row of \(columns) columns"
        case let .invalidArgument(function, reason):
            return "\(function): \(reason)"
        case let .noSolution(function, reason):
            return "\(function): \(reason)"
        }
    }
}

/// Argument checks shared by the strategy-mathematics functions.
enum MathValidation {
    /// Checks that `matrix` is a non-empty square matrix of finite numbers; returns its size T.
    @discardableResult
    static func squareMatrix(_ matrix: [[Double]], function: String, minimumSize: Int = 1) throws -> Int {
        let size = matrix.count
        guard size >= minimumSize else {
            throw StrategyMathError.tooFewTasks(function: function, minimum: minimumSize, actual: size)
        }
        for row in matrix {
            guard row.count == size else { throw StrategyMathError.notSquare(function: function, rows: size, columns: row.count) }
            guard row.allSatisfy({ $0.isFinite }) else {
                throw StrategyMathError.invalidArgument(function: function, reason: "the matrix contains a non-finite entry")
            }
        }
        return size
    }

    /// Checks that `values` has `expected` entries.
    static func length<C: Collection>(_ values: C, _ expected: Int, argument: String, function: String) throws {
        guard values.count == expected else {
            throw StrategyMathError.lengthMismatch(function: function, argument: argument, expected: expected, actual: values.count)
        }
    }

    /// Checks that there is at least `minimum` task.
    static func taskCount(_ count: Int, minimum: Int = 1, function: String) throws {
        guard count >= minimum else { throw StrategyMathError.tooFewTasks(function: function, minimum: minimum, actual: count) }
    }

    /// Checks that `orders[i]` is a permutation of the tasks other than i.
    static func orders(_ orders: [[Int]], taskCount: Int, function: String) throws {
        try length(orders, taskCount, argument: "orders", function: function)
        for (i, order) in orders.enumerated() {
            let expected = Set((0..<taskCount).filter { $0 != i })
            guard order.count == taskCount - 1, Set(order) == expected else {
                throw StrategyMathError.invalidArgument(
                    function: function,
                    reason: "orders[\(i)] = \(order) is not a permutation of the other tasks \(expected.sorted())")
            }
        }
    }
}
