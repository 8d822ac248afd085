import Foundation
import ArgumentParser
import Tandem

/// `tandem list strategies|models|datasets`.
struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the registered strategies, models or data sets.")

    enum What: String, ExpressibleByArgument, CaseIterable { case strategies, models, datasets }
    @Argument(help: "strategies, models or datasets") var what: What

    func run() {
        let registry = CommandEnvironment.registry
        let names: [String]
        switch what {
        case .strategies: names = registry.strategyNames
        case .models: names = registry.modelNames
        case .datasets: names = registry.datasetNames
        }
        let width = names.map(\.count).max() ?? 0
        for name in names {
            let summary = registry.describe(name)?.summary ?? ""
            print(name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + summary)
        }
    }
}

/// `tandem describe NAME [--markdown]`.
struct Describe: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a strategy's, model's or data set's options and defaults.")
    @Argument(help: "A strategy, model or data set name.") var name: String
    @Flag(help: "Print a strategy's reference page (as in docs/strategies/).") var markdown = false

    func run() throws {
        let registry = CommandEnvironment.registry
        guard let description = registry.describe(name) else {
            throw inputError(NameSuggestion.unknown("component", name, valid: registry.allNames))
        }
        if markdown {
            guard let strategy = registry.strategies[name] else { throw inputError("--markdown describes strategies; '\(name)' is a \(description.kind.rawValue)") }
            print(StrategyReferencePage.markdown(strategy.description), terminator: "")
        } else {
            print(description.documentation)
            if let details = registry.models[name]?.details { print(details()) }
        }
    }
}

/// `tandem docs --output docs/strategies`: writes every strategy's reference page.
struct Docs: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write the strategy reference pages generated from their descriptions.")
    @Option(help: "The folder to write (created if missing).") var output = "docs/strategies"

    func run() throws {
        guard !output.isEmpty else { throw inputError("--output must name a folder") }
        let folder = URL(fileURLWithPath: output)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (file, text) in StrategyReferencePage.pages(CommandEnvironment.registry).sorted(by: { $0.key < $1.key }) {
                try text.write(to: folder.appendingPathComponent(file), atomically: true, encoding: .utf8)
            }
        } catch {
            throw inputError("cannot write the pages into \(output): \(error.localizedDescription)")
        }
        print("wrote \(CommandEnvironment.registry.strategyNames.count) strategy pages and an index into \(output)")
    }
}
