import XCTest
import Foundation

/// Every Swift block in CONTRIBUTING.md (and in the example package's README) is an excerpt of a
/// real file — the example package's strategies, which `ExamplePackageTests` builds, or Tandem's own
/// sources — named on the line above it as `` `PATH`: ``, and must appear in that file verbatim, so
/// the guide shows code that compiles and cannot drift from it.
final class ContributingGuideTests: XCTestCase {
    /// A fenced Swift block and the file it claims to be an excerpt of.
    struct Excerpt {
        var line: Int
        var file: String?
        var code: String
    }

    /// The ```swift blocks of `markdown`, each with the path named by the last non-empty line
    /// before it when that line ends in `` `PATH`: ``.
    static func excerpts(in markdown: String) -> [Excerpt] {
        let lines = markdown.components(separatedBy: "\n")
        var excerpts: [Excerpt] = []
        var index = 0
        while index < lines.count {
            guard lines[index].trimmingCharacters(in: .whitespaces) == "```swift" else { index += 1; continue }
            let opening = index
            let previous = lines[..<opening].last { !$0.trimmingCharacters(in: .whitespaces).isEmpty } ?? ""
            var file: String?
            if previous.hasSuffix("`:"), let start = previous.dropLast(2).lastIndex(of: "`") {
                file = String(previous[previous.index(after: start)..<previous.index(previous.endIndex, offsetBy: -2)])
            }
            index += 1
            var body: [String] = []
            while index < lines.count, lines[index].trimmingCharacters(in: .whitespaces) != "```" {
                body.append(lines[index])
                index += 1
            }
            excerpts.append(Excerpt(line: opening + 1, file: file, code: body.joined(separator: "\n")))
            index += 1
        }
        return excerpts
    }

    func check(_ document: String, atLeast minimum: Int) throws -> [Excerpt] {
        let repository = KillAndResumeTests.repository
        let markdown = try String(contentsOf: repository.appendingPathComponent(document), encoding: .utf8)
        let excerpts = Self.excerpts(in: markdown)
        XCTAssertGreaterThanOrEqual(excerpts.count, minimum, "\(document) has fewer Swift blocks than expected")
        for excerpt in excerpts {
            guard let file = excerpt.file else {
                XCTFail("\(document) line \(excerpt.line): a Swift block must follow a line ending in `PATH`: naming the file it is taken from")
                continue
            }
            guard let text = try? String(contentsOf: repository.appendingPathComponent(file), encoding: .utf8) else {
                XCTFail("\(document) line \(excerpt.line): cannot read \(file), the file its Swift block is taken from")
                continue
            }
            XCTAssertFalse(excerpt.code.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(document) line \(excerpt.line): empty block")
            XCTAssertTrue(text.contains(excerpt.code), "\(document) line \(excerpt.line): the block is not in \(file) verbatim (update the guide):\n\(excerpt.code)")
        }
        return excerpts
    }

    func testContributingBlocksAreExcerptsOfRealFiles() throws {
        let excerpts = try check("CONTRIBUTING.md", atLeast: 10)
        let quoted = Set(excerpts.compactMap(\.file))
        for strategy in ["LogLossSum", "NormEqualised", "CosineDiscount", "AuxiliaryLookaheadGate"] {
            XCTAssertTrue(quoted.contains("Examples/CustomStrategy/Sources/CustomStrategy/\(strategy).swift"),
                          "CONTRIBUTING.md no longer shows the example's \(strategy) (one strategy per adaptor)")
        }
    }

    func testExampleReadmeBlocksAreExcerptsOfRealFiles() throws {
        _ = try check("Examples/CustomStrategy/README.md", atLeast: 1)
    }

    /// The parser itself: a block without a named file is reported, one with a file is paired with it.
    func testExcerptParsing() {
        let markdown = "Intro.\n\n`Sources/A.swift`:\n\n```swift\nlet a = 1\n```\n\nText.\n```swift\nlet b = 2\n```\n```sh\nls\n```\n"
        let excerpts = Self.excerpts(in: markdown)
        XCTAssertEqual(excerpts.count, 2)
        XCTAssertEqual(excerpts.first?.file, "Sources/A.swift")
        XCTAssertEqual(excerpts.first?.code, "let a = 1")
        XCTAssertNil(excerpts.last?.file)
        XCTAssertEqual(excerpts.last?.code, "let b = 2")
    }
}
