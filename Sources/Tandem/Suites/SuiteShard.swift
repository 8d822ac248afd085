/// A slice `i/n` of a suite's cells (1 ≤ i ≤ n), as given to `tandem suite --shard i/n`.
public struct SuiteShard: Equatable, Sendable {
    /// 1-based.
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1, (1...count).contains(index) else {
            throw CommandError("a shard is i/n with 1 ≤ i ≤ n, found \(index)/\(count)")
        }
        self.index = index
        self.count = count
    }

    /// Parses `i/n`: exactly two decimal integers around one slash; anything else (`1/x/2`, `1/`,
    /// `+1/2`, ` 1/2`) is refused with a message quoting the text.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        func number(_ part: Substring) -> Int? {
            guard !part.isEmpty, part.count <= 9, part.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return Int(part)
        }
        guard parts.count == 2, let index = number(parts[0]), let count = number(parts[1]) else {
            throw CommandError("--shard must be i/n with whole numbers 1 ≤ i ≤ n (e.g. 2/4), found '\(text)'")
        }
        do { try self.init(index: index, count: count) }
        catch { throw CommandError("--shard must be i/n with 1 ≤ i ≤ n (e.g. 2/4), found '\(text)'") }
    }

    public var description: String { "\(index)/\(count)" }
}
