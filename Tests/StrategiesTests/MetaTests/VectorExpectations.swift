import Testing

/// `|actual − expected| ≤ tolerance·max(1, |expected|)` element-wise, with equal lengths (an
/// empty or short result fails).
func expectClose(_ actual: [Float], _ expected: [Double], tolerance: Double = 1e-5, _ message: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    guard actual.count == expected.count else {
        Issue.record("\(message): \(actual.count) values, expected \(expected.count): \(actual) vs \(expected)", sourceLocation: sourceLocation)
        return
    }
    for (a, e) in zip(actual, expected) where !(abs(Double(a) - e) <= tolerance * max(1, abs(e))) {
        Issue.record("\(message): \(actual) vs expected \(expected)", sourceLocation: sourceLocation)
        return
    }
}

func expectClose(_ actual: Float, _ expected: Double, tolerance: Double = 1e-5, _ message: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    expectClose([actual], [expected], tolerance: tolerance, message, sourceLocation: sourceLocation)
}

/// The values of `dictionary` at `keys`, in that order; a missing key fails the test.
func values(_ dictionary: [String: Float]?, _ keys: [String], _ message: String,
            sourceLocation: SourceLocation = #_sourceLocation) -> [Float] {
    guard let dictionary else {
        Issue.record("\(message): no values at all", sourceLocation: sourceLocation)
        return []
    }
    return keys.compactMap { key in
        guard let value = dictionary[key] else {
            Issue.record("\(message): no value for '\(key)' in \(dictionary)", sourceLocation: sourceLocation)
            return nil
        }
        return value
    }
}
