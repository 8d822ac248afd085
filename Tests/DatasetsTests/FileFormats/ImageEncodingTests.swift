import Foundation
import XCTest
@testable import TandemDatasets

/// PNG / zlib output checked by decoding it again with an independent inflater written from RFC 1951.
final class ImageEncodingTests: XCTestCase {
    func testChecksumsMatchKnownValues() {
        XCTAssertEqual(Checksum.crc32(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(Checksum.adler32(Array("Wikipedia".utf8)), 0x11E6_0398)
        XCTAssertEqual(Checksum.crc32([UInt8]()), 0)
        // Adler-32 over more than 5552 bytes exercises the modular reduction.
        let long = [UInt8](repeating: 255, count: 20_000)
        var a = 1, b = 0
        for byte in long { a = (a + Int(byte)) % 65521; b = (b + a) % 65521 }
        XCTAssertEqual(Checksum.adler32(long), UInt32(b << 16 | a))
    }

    func testDeflateRoundTrips() throws {
        var generator = SeedDerivation.generator(1, index: 0, salt: .shuffle)
        let random = (0..<5000).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let repetitive = (0..<70_000).map { UInt8($0 % 7 + ($0 / 1000) % 3) }
        for data in [[], [42], random, repetitive, random + repetitive] as [[UInt8]] {
            for compress in [true, false] {
                let stream = Deflate.zlibCompress(data, compress: compress)
                XCTAssertEqual(try Inflater.zlibDecompress(stream), data)
            }
        }
        XCTAssertLessThan(Deflate.zlibCompress(repetitive).count, repetitive.count / 10)
    }

    func testPNGDecodesToTheSamePixels() throws {
        let scenes = try SyntheticScenes(options: SyntheticScenesOptions(count: 3, height: 24, width: 32, seed: 2))
        let grid = SampleGrid.image(try scenes.allSamples(), classCount: 13, scale: 2)
        XCTAssertEqual(grid.width, 4 * 64 + 10)
        XCTAssertEqual(grid.height, 3 * 48 + 8)
        let png = [UInt8](grid.pngData())
        XCTAssertEqual(Array(png[0..<8]), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // Walk the chunks, checking each CRC, and collect IDAT.
        var offset = 8
        var idat: [UInt8] = []
        var types: [String] = []
        while offset < png.count {
            let length = Int(png[offset]) << 24 | Int(png[offset + 1]) << 16 | Int(png[offset + 2]) << 8 | Int(png[offset + 3])
            let type = Array(png[(offset + 4)..<(offset + 8)]), body = Array(png[(offset + 8)..<(offset + 8 + length)])
            let crc = png[(offset + 8 + length)..<(offset + 12 + length)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            XCTAssertEqual(crc, Checksum.crc32(type + body))
            types.append(String(decoding: type, as: UTF8.self))
            if types.last == "IDAT" { idat += body }
            offset += 12 + length
        }
        XCTAssertEqual(types, ["IHDR", "IDAT", "IEND"])
        let raw = try Inflater.zlibDecompress(idat)
        XCTAssertEqual(try Inflater.unfilter(raw, width: grid.width, height: grid.height), grid.pixels)

        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-grid-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: url) }
        try grid.writePNG(to: url)
        XCTAssertEqual(try Data(contentsOf: url), grid.pngData())
        // Optionally regenerate the documentation picture.
        if let path = ProcessInfo.processInfo.environment["TANDEM_WRITE_SAMPLE_GRID"] {
            let docs = try SyntheticScenes(options: SyntheticScenesOptions(count: 4, height: 64, width: 96, seed: 2024))
            try SampleGrid.writePNG(try docs.allSamples(), classCount: 13, to: URL(fileURLWithPath: path), scale: 2)
        }
    }
}

/// A minimal zlib/DEFLATE decoder (stored and fixed-Huffman blocks) and PNG unfilter, for tests.
enum Inflater {
    struct Failure: Error { let reason: String }

    static func zlibDecompress(_ stream: [UInt8]) throws -> [UInt8] {
        guard stream.count >= 6, (Int(stream[0]) << 8 | Int(stream[1])) % 31 == 0, stream[0] & 0x0F == 8 else {
            throw Failure(reason: "bad zlib header")
        }
        var reader = BitReader(bytes: stream, position: 16)
        var output: [UInt8] = []
        var final = false
        while !final {
            final = try reader.bits(1) == 1
            switch try reader.bits(2) {
            case 0:
                reader.alignToByte()
                let length = try reader.bits(16), complement = try reader.bits(16)
                guard length == ~complement & 0xFFFF else { throw Failure(reason: "stored length check") }
                for _ in 0..<length { output.append(UInt8(try reader.bits(8))) }
            case 1:
                while true {
                    let symbol = try fixedLiteral(&reader)
                    if symbol < 256 { output.append(UInt8(symbol)); continue }
                    if symbol == 256 { break }
                    let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
                    let lengthBits = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
                    let code = symbol - 257
                    let length = lengthBase[code] + (try reader.bits(lengthBits[code]))
                    var distanceCode = 0
                    for _ in 0..<5 { distanceCode = distanceCode << 1 | (try reader.bits(1)) }
                    let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
                    let distanceBits = distanceCode < 4 ? 0 : distanceCode / 2 - 1
                    let distance = distanceBase[distanceCode] + (try reader.bits(distanceBits))
                    guard distance <= output.count else { throw Failure(reason: "distance too far back") }
                    for _ in 0..<length { output.append(output[output.count - distance]) }
                }
            default:
                throw Failure(reason: "unexpected block type")
            }
        }
        reader.alignToByte()
        let trailer = try (0..<4).reduce(UInt32(0)) { value, _ in value << 8 | UInt32(try reader.bits(8)) }
        guard trailer == Checksum.adler32(output) else { throw Failure(reason: "Adler-32 mismatch") }
        return output
    }

    /// Reads one fixed-Huffman literal/length symbol (codes are stored most significant bit first).
    static func fixedLiteral(_ reader: inout BitReader) throws -> Int {
        var code = 0
        for _ in 0..<7 { code = code << 1 | (try reader.bits(1)) }
        if code <= 0b0010111 { return 256 + code }
        code = code << 1 | (try reader.bits(1))
        if code >= 0b0011_0000 && code <= 0b1011_1111 { return code - 0b0011_0000 }
        if code >= 0b1100_0000 && code <= 0b1100_0111 { return 280 + code - 0b1100_0000 }
        code = code << 1 | (try reader.bits(1))
        return 144 + code - 0b1_1001_0000
    }

    static func unfilter(_ raw: [UInt8], width: Int, height: Int) throws -> [UInt8] {
        let stride = 3 * width
        guard raw.count == height * (stride + 1) else { throw Failure(reason: "wrong PNG data size") }
        var pixels = [UInt8](repeating: 0, count: height * stride)
        for row in 0..<height {
            let filter = raw[row * (stride + 1)]
            for i in 0..<stride {
                let x = Int(raw[row * (stride + 1) + 1 + i])
                let a = i >= 3 ? Int(pixels[row * stride + i - 3]) : 0
                let b = row > 0 ? Int(pixels[(row - 1) * stride + i]) : 0
                let c = i >= 3 && row > 0 ? Int(pixels[(row - 1) * stride + i - 3]) : 0
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = a
                case 2: predictor = b
                case 3: predictor = (a + b) / 2
                case 4:
                    let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                default: throw Failure(reason: "unknown filter \(filter)")
                }
                pixels[row * stride + i] = UInt8((x + predictor) & 0xFF)
            }
        }
        return pixels
    }

    struct BitReader {
        let bytes: [UInt8]
        var position: Int  // in bits

        mutating func bits(_ count: Int) throws -> Int {
            var value = 0
            for k in 0..<count {
                guard position / 8 < bytes.count else { throw Failure(reason: "unexpected end of data") }
                value |= Int(bytes[position / 8] >> UInt8(position % 8) & 1) << k
                position += 1
            }
            return value
        }

        mutating func alignToByte() { position = (position + 7) / 8 * 8 }
    }
}
