import CZstd
import Foundation

/// zstd compression of whole buffers (libzstd).
public enum Zstd {
    public static func compress(_ data: Data, level: Int32 = 3) throws -> Data {
        let bound = ZSTD_compressBound(data.count)
        var output = Data(count: bound)
        let written = output.withUnsafeMutableBytes { out in
            data.withUnsafeBytes { input in
                ZSTD_compress(out.baseAddress, bound, input.baseAddress, data.count, level)
            }
        }
        if ZSTD_isError(written) != 0 { throw ZstdError(message: String(cString: ZSTD_getErrorName(written))) }
        output.count = written
        return output
    }

    public static func decompress(_ data: Data) throws -> Data {
        let size = data.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, data.count) }
        // ZSTD_CONTENTSIZE_UNKNOWN / ERROR are the two largest values.
        guard size < UInt64.max - 1 else { throw ZstdError(message: "not a zstd frame with a known size (truncated or corrupt)") }
        var output = Data(count: Int(size))
        let written = output.withUnsafeMutableBytes { out in
            data.withUnsafeBytes { input in ZSTD_decompress(out.baseAddress, Int(size), input.baseAddress, data.count) }
        }
        if ZSTD_isError(written) != 0 { throw ZstdError(message: String(cString: ZSTD_getErrorName(written))) }
        guard written == Int(size) else { throw ZstdError(message: "decompressed \(written) bytes, frame says \(size)") }
        return output
    }
}

public struct ZstdError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { "zstd: \(message)" }
}
