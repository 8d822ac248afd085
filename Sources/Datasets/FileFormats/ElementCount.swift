/// Overflow-checked sizes for readers: a header's dimensions come from the file, so their product
/// (and its size in bytes) must be computed without trapping.
enum ElementCount {
    /// The largest number of elements or bytes a reader accepts (2⁴⁸, far beyond any real file, so
    /// later `Int` arithmetic on indices and byte offsets cannot overflow either).
    static let limit = 1 << 48

    /// The product of `dimensions`, or nil when a dimension is negative or the product exceeds `limit`.
    static func product<Dimensions: Sequence>(_ dimensions: Dimensions) -> Int? where Dimensions.Element == Int {
        var result = 1
        for dimension in dimensions {
            guard dimension >= 0 else { return nil }
            let (next, overflow) = result.multipliedReportingOverflow(by: dimension)
            guard !overflow, next <= limit else { return nil }
            result = next
        }
        return result
    }

    /// `count × width` bytes, or nil beyond `limit`.
    static func byteCount(_ count: Int, width: Int) -> Int? {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: width)
        return overflow || bytes > limit ? nil : bytes
    }
}
