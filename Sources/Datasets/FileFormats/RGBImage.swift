import Foundation

/// An 8-bit RGB image (row-major, 3 bytes per pixel) that can be saved as a PNG file.
public struct RGBImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// Interleaved R, G, B bytes, rows top to bottom.
    public var pixels: [UInt8]

    /// A black image.
    public init(width: Int, height: Int) {
        self.init(width: width, height: height, pixels: [UInt8](repeating: 0, count: 3 * width * height))
    }

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == 3 * width * height, "RGBImage: \(pixels.count) bytes do not make \(width)×\(height) RGB")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Sets pixel (`row`, `column`) from components in 0…1 (clamped, rounded).
    public mutating func set(row: Int, column: Int, red: Float, green: Float, blue: Float) {
        let offset = 3 * (row * width + column)
        pixels[offset] = Self.byte(red)
        pixels[offset + 1] = Self.byte(green)
        pixels[offset + 2] = Self.byte(blue)
    }

    /// Copies `image` into this one with its top-left corner at (`row`, `column`), magnified by
    /// `scale` (nearest neighbour); parts outside are clipped.
    public mutating func paste(_ image: RGBImage, row: Int, column: Int, scale: Int = 1) {
        for y in 0..<(image.height * scale) where row + y >= 0 && row + y < height {
            for x in 0..<(image.width * scale) where column + x >= 0 && column + x < width {
                let source = 3 * ((y / scale) * image.width + x / scale)
                let target = 3 * ((row + y) * width + column + x)
                pixels[target] = image.pixels[source]
                pixels[target + 1] = image.pixels[source + 1]
                pixels[target + 2] = image.pixels[source + 2]
            }
        }
    }

    static func byte(_ value: Float) -> UInt8 {
        guard value.isFinite else { return 0 }
        return UInt8(min(max(value, 0), 1) * 255 + 0.5)
    }

    /// The PNG encoding (colour type 2, 8 bits, adaptive per-row filters, DEFLATE-compressed).
    public func pngData(compress: Bool = true) -> Data {
        var raw: [UInt8] = []
        raw.reserveCapacity(height * (1 + 3 * width))
        let stride = 3 * width
        var previous = [UInt8](repeating: 0, count: stride)
        var candidates = [[UInt8]](repeating: [UInt8](repeating: 0, count: stride), count: 5)
        for row in 0..<height {
            let line = Array(pixels[(row * stride)..<((row + 1) * stride)])
            // Filters 0–4 (None, Sub, Up, Average, Paeth); keep the one with the smallest sum of |signed bytes|.
            for i in 0..<stride {
                let left = i >= 3 ? Int(line[i - 3]) : 0
                let up = Int(previous[i])
                let upLeft = i >= 3 ? Int(previous[i - 3]) : 0
                let x = Int(line[i])
                candidates[0][i] = UInt8(x)
                candidates[1][i] = UInt8((x - left) & 0xFF)
                candidates[2][i] = UInt8((x - up) & 0xFF)
                candidates[3][i] = UInt8((x - (left + up) / 2) & 0xFF)
                candidates[4][i] = UInt8((x - Self.paeth(left, up, upLeft)) & 0xFF)
            }
            var best = 0, bestCost = Int.max
            for filter in 0..<5 {
                let cost = candidates[filter].reduce(0) { $0 + ($1 < 128 ? Int($1) : 256 - Int($1)) }
                if cost < bestCost { (best, bestCost) = (filter, cost) }
            }
            raw.append(UInt8(best))
            raw += candidates[best]
            previous = line
        }
        var png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        func chunk(_ type: String, _ body: [UInt8]) {
            let typeBytes = Array(type.utf8)
            png.append(contentsOf: Self.bigEndian(UInt32(body.count)))
            png.append(contentsOf: typeBytes)
            png.append(contentsOf: body)
            png.append(contentsOf: Self.bigEndian(Checksum.crc32(typeBytes + body)))
        }
        chunk("IHDR", Self.bigEndian(UInt32(width)) + Self.bigEndian(UInt32(height)) + [8, 2, 0, 0, 0])
        chunk("IDAT", Deflate.zlibCompress(raw, compress: compress))
        chunk("IEND", [])
        return png
    }

    /// Writes the image as a PNG file (atomically).
    public func writePNG(to url: URL) throws {
        try writeFileAtomically(pngData(), to: url)
    }

    static func paeth(_ a: Int, _ b: Int, _ c: Int) -> Int {
        let p = a + b - c
        let pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
        if pa <= pb && pa <= pc { return a }
        return pb <= pc ? b : c
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }
}
