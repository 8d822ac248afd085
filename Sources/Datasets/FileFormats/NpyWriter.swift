import Foundation

/// Writes NumPy `.npy` files (format version 1.0, little-endian, C order).
///
/// The header is padded with spaces so the data starts at a multiple of 64 bytes, as NumPy does.
/// Files are written atomically (temporary file, then rename).
public enum NpyWriter {
    /// The bytes of a `.npy` file holding `array`.
    public static func encode(_ array: NpyArray) -> Data {
        let shapeText: String
        switch array.shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(array.shape[0]),)"
        default: shapeText = "(" + array.shape.map(String.init).joined(separator: ", ") + ")"
        }
        var header = "{'descr': '\(array.elementType.descriptor)', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        let length = UInt16(header.utf8.count)
        data.append(UInt8(length & 0xFF))
        data.append(UInt8(length >> 8))
        data.append(contentsOf: Array(header.utf8))
        data.append(contentsOf: array.bytes)
        return data
    }

    /// Writes `array` to `url`.
    public static func write(_ array: NpyArray, to url: URL) throws {
        try writeFileAtomically(encode(array), to: url)
    }
}

extension NpyArray {
    /// Writes the array as a `.npy` file (see `NpyWriter`).
    public func write(to url: URL) throws { try NpyWriter.write(self, to: url) }
}
