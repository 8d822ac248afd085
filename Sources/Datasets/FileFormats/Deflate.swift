/// A small DEFLATE (RFC 1951) compressor inside a zlib (RFC 1950) wrapper, enough for PNG files:
/// greedy LZ77 matching over a 32 KiB window with one fixed-Huffman block, or stored blocks.
public enum Deflate {
    /// The zlib stream (header, DEFLATE data, Adler-32) of `data`. With `compress: false` the data
    /// is written in stored (uncompressed) blocks.
    public static func zlibCompress(_ data: [UInt8], compress: Bool = true) -> [UInt8] {
        var output: [UInt8] = [0x78, 0x01]
        output += compress ? fixedHuffmanBlock(data) : storedBlocks(data)
        let adler = Checksum.adler32(data)
        output += [UInt8(adler >> 24), UInt8((adler >> 16) & 0xFF), UInt8((adler >> 8) & 0xFF), UInt8(adler & 0xFF)]
        return output
    }

    /// Stored blocks of at most 65,535 bytes each.
    static func storedBlocks(_ data: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        var start = 0
        repeat {
            let end = min(start + 65_535, data.count)
            let length = UInt16(end - start)
            output.append(end == data.count ? 1 : 0)  // BFINAL, BTYPE = 00, aligned
            output += [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8)]
            output += data[start..<end]
            start = end
        } while start < data.count
        return output
    }

    private static let lengthBases: [Int] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59,
                                              67, 83, 99, 115, 131, 163, 195, 227, 258]
    private static let lengthExtra: [Int] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    private static let distanceBases: [Int] = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769,
                                                1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    private static let distanceExtra: [Int] = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11,
                                                12, 12, 13, 13]

    /// One final fixed-Huffman block with greedy LZ77 matches (hash of 3 bytes → most recent position).
    static func fixedHuffmanBlock(_ data: [UInt8]) -> [UInt8] {
        var writer = BitWriter()
        writer.write(1, count: 1)  // BFINAL
        writer.write(1, count: 2)  // BTYPE = 01 (fixed Huffman)
        let hashSize = 1 << 15
        var head = [Int](repeating: -1, count: hashSize)
        let n = data.count
        data.withUnsafeBufferPointer { bytes in
            @inline(__always) func hash(_ i: Int) -> Int {
                (Int(bytes[i]) << 10 ^ Int(bytes[i + 1]) << 5 ^ Int(bytes[i + 2])) & (hashSize - 1)
            }
            var i = 0
            while i < n {
                var matchLength = 0, matchDistance = 0
                if i + 2 < n {
                    let h = hash(i)
                    let candidate = head[h]
                    head[h] = i
                    if candidate >= 0 && i - candidate <= 32_768 {
                        let limit = min(258, n - i)
                        var length = 0
                        while length < limit && bytes[candidate + length] == bytes[i + length] { length += 1 }
                        if length >= 3 { (matchLength, matchDistance) = (length, i - candidate) }
                    }
                }
                if matchLength > 0 {
                    writeLength(matchLength, &writer)
                    writeDistance(matchDistance, &writer)
                    // Index the skipped positions so later matches can refer to them.
                    var j = i + 1
                    while j < i + matchLength && j + 2 < n {
                        head[hash(j)] = j
                        j += 1
                    }
                    i += matchLength
                } else {
                    writeLiteral(Int(bytes[i]), &writer)
                    i += 1
                }
            }
        }
        writeLiteral(256, &writer)  // end of block
        return writer.finish()
    }

    /// Fixed Huffman code of a literal/length symbol (RFC 1951 §3.2.6), written most significant bit first.
    private static func writeLiteral(_ symbol: Int, _ writer: inout BitWriter) {
        switch symbol {
        case 0...143: writer.writeHuffman(0x30 + symbol, count: 8)
        case 144...255: writer.writeHuffman(0x190 + symbol - 144, count: 9)
        case 256...279: writer.writeHuffman(symbol - 256, count: 7)
        default: writer.writeHuffman(0xC0 + symbol - 280, count: 8)
        }
    }

    private static func writeLength(_ length: Int, _ writer: inout BitWriter) {
        var code = lengthBases.count - 1
        while lengthBases[code] > length { code -= 1 }
        writeLiteral(257 + code, &writer)
        if lengthExtra[code] > 0 { writer.write(UInt32(length - lengthBases[code]), count: lengthExtra[code]) }
    }

    private static func writeDistance(_ distance: Int, _ writer: inout BitWriter) {
        var code = distanceBases.count - 1
        while distanceBases[code] > distance { code -= 1 }
        writer.writeHuffman(code, count: 5)
        if distanceExtra[code] > 0 { writer.write(UInt32(distance - distanceBases[code]), count: distanceExtra[code]) }
    }
}

/// Packs bits least significant first, as DEFLATE requires.
struct BitWriter {
    private(set) var bytes: [UInt8] = []
    private var buffer: UInt64 = 0
    private var bitCount = 0

    mutating func write(_ value: UInt32, count: Int) {
        buffer |= UInt64(value) << UInt64(bitCount)
        bitCount += count
        while bitCount >= 8 {
            bytes.append(UInt8(buffer & 0xFF))
            buffer >>= 8
            bitCount -= 8
        }
    }

    /// Writes a Huffman code, whose bits go most significant first.
    mutating func writeHuffman(_ code: Int, count: Int) {
        var reversed: UInt32 = 0
        for bit in 0..<count { reversed |= UInt32((code >> bit) & 1) << UInt32(count - 1 - bit) }
        write(reversed, count: count)
    }

    mutating func finish() -> [UInt8] {
        if bitCount > 0 { bytes.append(UInt8(buffer & 0xFF)) }
        buffer = 0
        bitCount = 0
        return bytes
    }
}
