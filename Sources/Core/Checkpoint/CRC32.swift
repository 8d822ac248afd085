/// CRC-32 (ISO 3309 / ITU-T V.42: the checksum of PNG, zip and gzip), used to detect damaged
/// checkpoints and cache shards.
public enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// The CRC-32 of `buffer`, continuing from `initial` (the CRC of the bytes before it).
    public static func checksum(_ buffer: UnsafeRawBufferPointer, initial: UInt32 = 0) -> UInt32 {
        var c = ~initial
        table.withUnsafeBufferPointer { table in
            for byte in buffer { c = table[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
        }
        return ~c
    }

    /// The CRC-32 of a byte sequence, continuing from `initial`.
    public static func checksum<Bytes: Sequence>(_ bytes: Bytes, initial: UInt32 = 0) -> UInt32 where Bytes.Element == UInt8 {
        if let result = bytes.withContiguousStorageIfAvailable({ checksum(UnsafeRawBufferPointer($0), initial: initial) }) { return result }
        var c = ~initial
        table.withUnsafeBufferPointer { table in
            for byte in bytes { c = table[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
        }
        return ~c
    }
}
