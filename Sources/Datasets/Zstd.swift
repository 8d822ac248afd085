import CZstd
import Foundation

/// zstd compression of byte buffers (the system libzstd).
/// Internal: the public zstd helpers are `TandemCore.Zstd`; this variant works on byte arrays with
/// the errors the shard cache reports.
enum Zstd {
    /// Compresses `bytes` into one zstd frame (with the frame's own content checksum) at `level`.
    static func compress(_ bytes: [UInt8], level: Int32 = 3) throws -> [UInt8] {
        guard let context = ZSTD_createCCtx() else { throw DatasetError.invalidArgument("zstd: cannot create a compression context") }
        defer { ZSTD_freeCCtx(context) }
        ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level)
        ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1)
        var output = [UInt8](repeating: 0, count: ZSTD_compressBound(bytes.count))
        let written = output.withUnsafeMutableBytes { out in
            bytes.withUnsafeBytes { input in
                ZSTD_compress2(context, out.baseAddress, out.count, input.baseAddress, input.count)
            }
        }
        if ZSTD_isError(written) != 0 {
            throw DatasetError.invalidArgument("zstd compression failed: \(String(cString: ZSTD_getErrorName(written)))")
        }
        output.removeSubrange(written...)
        return output
    }

    /// Decompresses one zstd frame that must expand to exactly `expectedSize` bytes.
    /// - Parameter path: named in errors.
    static func decompress(_ bytes: ArraySlice<UInt8>, expectedSize: Int, path: String) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: expectedSize)
        let written = output.withUnsafeMutableBytes { out in
            bytes.withUnsafeBytes { input in
                ZSTD_decompress(out.baseAddress, out.count, input.baseAddress, input.count)
            }
        }
        if ZSTD_isError(written) != 0 {
            throw DatasetError.invalidValue(path: path, reason: "zstd data is damaged (\(String(cString: ZSTD_getErrorName(written))))")
        }
        guard written == expectedSize else {
            throw DatasetError.truncated(path: path, expectedBytes: expectedSize, foundBytes: written)
        }
        return output
    }
}
