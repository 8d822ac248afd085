import Testing

/// The comparison helpers themselves: a result of the wrong length, or off by more than the
/// tolerance, must fail (the old helpers let an empty result pass).
@Suite struct VectorExpectationTests {
    @Test func aShortOrEmptyResultFails() {
        withKnownIssue { expectClose([], [1, 2], "empty") }
        withKnownIssue { expectClose([1], [1, 2], "short") }
    }

    @Test func aWrongValueFailsAndARightOnePasses() {
        withKnownIssue { expectClose([1, 2.1], [1, 2], "off by 0.1") }
        expectClose([1, 2.000001], [1, 2], "within 1e-5")
        withKnownIssue { _ = values(["a": 1], ["a", "b"], "missing key") }
    }
}
