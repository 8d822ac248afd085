import XCTest
import Tandem

/// The committed `docs/strategies/` pages are exactly what the descriptions generate
/// (regenerate with `tandem docs`), so the repository documents itself and never drifts.
final class StrategyDocumentationTests: XCTestCase {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/strategies").standardized

    func testCommittedPagesEqualTheGeneratedOnes() throws {
        let pages = StrategyReferencePage.pages(.standard)
        for (file, text) in pages {
            let url = Self.folder.appendingPathComponent(file)
            let committed = try? String(contentsOf: url, encoding: .utf8)
            XCTAssertEqual(committed, text, "docs/strategies/\(file) is missing or stale: run `.build/release/tandem docs`")
        }
        let present = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).filter { $0.hasSuffix(".md") }
        XCTAssertEqual(Set(present), Set(pages.keys), "docs/strategies holds pages of strategies that are not registered")
    }

    func testEveryStrategyIsListedAndDescribedFromItsOneDescription() {
        let registry = Registry.standard
        XCTAssertEqual(registry.strategyNames, BuiltInStrategies.all.map { $0.description.name }.sorted())
        for name in registry.strategyNames {
            let component = registry.describe(name)!
            XCTAssertEqual(component.options.map(\.name), registry.strategies[name]!.description.options.map(\.name))
            XCTAssertTrue(StrategyReferencePage.markdown(registry.strategies[name]!.description).contains(component.reference))
        }
    }
}
