import XCTest
import Foundation

/// The samples in `<repo>/data` are the files its README and `SHA256SUMS` describe, so tests and
/// recipes read exactly the documented data.
final class SampleDataTests: XCTestCase {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("data")

    func testChecksumsMatchTheREADME() throws {
        let sums = try String(contentsOf: Self.folder.appendingPathComponent("SHA256SUMS"), encoding: .utf8)
        let readme = try String(contentsOf: Self.folder.appendingPathComponent("README.md"), encoding: .utf8)
        let lines = sums.split(separator: "\n")
        XCTAssertEqual(lines.count, 4)
        for line in lines {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            XCTAssertEqual(parts.count, 2, String(line))
            XCTAssertTrue(readme.contains("| `\(parts[1])` |") && readme.contains(String(parts[0])), "README lists \(parts[1]) with \(parts[0])")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sha256sum", "--check", "--strict", "SHA256SUMS"]
        process.currentDirectoryURL = Self.folder
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, output)
    }
}
