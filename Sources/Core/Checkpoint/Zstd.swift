import CZstd
import Foundation

/// zstd compression of whole buffers (the system libzstd), shared by checkpoints and the data
/// set cache. Frames carry their content size and zstd's own content checksum; decompression
/// checks the declared size against what a frame of that length can hold before allocating, so a
/// damaged or crafted size field is an error, never a huge allocation.
public enum Zstd {
    /// The most a zstd frame can expand: a 3-byte block header with a 1-byte RLE payload stands for
    /// a 128 KiB block, so no valid frame decompresses to more than this many times its length.
    public static let maximumExpansion = 32_768

    /// One zstd frame holding `bytes`, with its content size and content checksum.
    public static func compress<Bytes: ContiguousBytes>(_ bytes: Bytes, level: Int32 = 3) throws -> Data {
        guard let context = ZSTD_createCCtx() else { throw ZstdError(message: "cannot create a compression context") }
        defer { ZSTD_freeCCtx(context) }
        ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level)
        ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1)
        return try bytes.withUnsafeBytes { input -> Data in
            let bound = ZSTD_compressBound(input.count)
            var output = Data(count: bound)
            let written = output.withUnsafeMutableBytes { out in
                ZSTD_compress2(context, out.baseAddress, bound, input.baseAddress, input.count)
            }
            if ZSTD_isError(written) != 0 { throw ZstdError(message: String(cString: ZSTD_getErrorName(written))) }
            output.count = written
            return output
        }
    }

    /// The content of one zstd frame (or of several concatenated frames whose total the first
    /// declares). Throws when the data is not a frame with a declared size, when that size exceeds
    /// `maximumSize` or what the frame's length allows, or when the data is damaged.
    public static func decompress<Bytes: ContiguousBytes>(_ bytes: Bytes, maximumSize: Int = 1 << 40) throws -> Data {
        try bytes.withUnsafeBytes { input -> Data in
            let declared = ZSTD_getFrameContentSize(input.baseAddress, input.count)
            // ZSTD_CONTENTSIZE_UNKNOWN and ZSTD_CONTENTSIZE_ERROR are the two largest values.
            guard declared < UInt64.max - 1 else {
                throw ZstdError(message: "not a zstd frame with a declared size (truncated or damaged)")
            }
            let (bound, overflow) = input.count.multipliedReportingOverflow(by: maximumExpansion)
            let limit = min(maximumSize, overflow ? Int.max : bound)
            guard declared <= UInt64(limit) else {
                if limit == maximumSize && (overflow || maximumSize < bound) {
                    throw ZstdError(message: "the frame declares \(declared) bytes, more than the \(maximumSize) this file may hold; "
                                             + "it was not written for this use")
                }
                throw ZstdError(message: "the frame declares \(declared) bytes, more than a \(input.count)-byte frame can hold "
                                         + "(at most \(limit)); the size field is damaged")
            }
            let size = Int(declared)
            var output = Data(count: size)
            let written = output.withUnsafeMutableBytes { out in
                ZSTD_decompress(out.baseAddress, size, input.baseAddress, input.count)
            }
            if ZSTD_isError(written) != 0 { throw ZstdError(message: "damaged data (\(String(cString: ZSTD_getErrorName(written))))") }
            guard written == size else { throw ZstdError(message: "decompressed \(written) bytes, the frame declares \(size)") }
            return output
        }
    }

    /// Decompresses a frame that must hold exactly `expectedSize` bytes.
    public static func decompress<Bytes: ContiguousBytes>(_ bytes: Bytes, expectedSize: Int) throws -> Data {
        let data = try decompress(bytes, maximumSize: expectedSize)
        guard data.count == expectedSize else {
            throw ZstdError(message: "the frame holds \(data.count) bytes, expected \(expectedSize)")
        }
        return data
    }
}

/// A zstd failure, said plainly (callers add the file's name).
public struct ZstdError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { "zstd: \(message)" }
}
