import TandemCore

/// The two checksums PNG and zlib need, also used to verify cache shards (CRC-32 is
/// `TandemCore.CRC32`, shared with checkpoints).
public enum Checksum {
    /// CRC-32 (ISO 3309 / ITU-T V.42, as in PNG, zip and gzip) of `bytes`, continuing from `initial`.
    public static func crc32<Bytes: Sequence>(_ bytes: Bytes, initial: UInt32 = 0) -> UInt32 where Bytes.Element == UInt8 {
        CRC32.checksum(bytes, initial: initial)
    }

    /// CRC-32 of raw memory.
    public static func crc32(_ buffer: UnsafeRawBufferPointer, initial: UInt32 = 0) -> UInt32 {
        CRC32.checksum(buffer, initial: initial)
    }

    /// Adler-32 (RFC 1950, the zlib trailer) of `bytes`.
    public static func adler32<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var a: UInt32 = 1, b: UInt32 = 0
        var pending = 0
        for byte in bytes {
            a += UInt32(byte)
            b += a
            pending += 1
            if pending == 5552 {  // largest run before b can overflow 32 bits
                a %= 65521
                b %= 65521
                pending = 0
            }
        }
        return (b % 65521) << 16 | (a % 65521)
    }
}
