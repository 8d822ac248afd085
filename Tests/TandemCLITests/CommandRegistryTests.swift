import ArgumentParser
import XCTest
import Tandem
@testable import TandemCLI

/// The subcommands build from the registry `TandemCommand.main(registry:commandName:)` is given,
/// not from `Registry.standard`, and the help names the executable.
final class CommandRegistryTests: XCTestCase {
    /// A strategy only this test registers.
    final class HalfWeighting: LossWeighting, RegisteredStrategy {
        static let description = StrategyDescription(
            name: "half-weighting-for-command-tests", title: "Half weighting", formula: "L = Σ_t ½ L_t",
            paper: "none: a test fixture", cost: "as equal weighting")

        init(options: Options, context: StrategyBuildContext) throws {}

        func lossWeights(_ context: StepContext) throws -> [String: Float] {
            Dictionary(uniqueKeysWithValues: context.taskNames.map { ($0, 0.5) })
        }
    }

    override func tearDown() { TandemCommand.use(registry: .standard, commandName: "tandem") }

    func testSubcommandsReadTheInjectedRegistry() throws {
        let name = HalfWeighting.description.name
        TandemCommand.use(registry: .standard, commandName: "tandem")
        var unknown = try TandemCommand.parseAsRoot(["describe", name])
        XCTAssertThrowsError(try unknown.run(), "the standard registry does not know the test's strategy") {
            XCTAssertEqual(($0 as? ExitCode)?.rawValue, 2, "\($0)")
        }

        TandemCommand.use(registry: .standard.adding(HalfWeighting.self), commandName: "downstream")
        var known = try TandemCommand.parseAsRoot(["describe", name])
        XCTAssertNoThrow(try known.run())
        var markdown = try TandemCommand.parseAsRoot(["describe", name, "--markdown"])
        XCTAssertNoThrow(try markdown.run(), "--markdown finds it among the registry's strategies")
        XCTAssertTrue(TandemCommand.helpMessage().contains("USAGE: downstream <subcommand>"), TandemCommand.helpMessage())
    }

    func testAddingLeavesTheStandardRegistryAlone() {
        let extended = Registry.standard.adding(HalfWeighting.self)
        XCTAssertEqual(Set(extended.strategyNames).subtracting(Registry.standard.strategyNames), [HalfWeighting.description.name])
        XCTAssertEqual(extended.modelNames, Registry.standard.modelNames)
        XCTAssertEqual(extended.datasetNames, Registry.standard.datasetNames)
    }
}
