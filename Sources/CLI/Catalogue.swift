import ArgumentParser
import Tandem

/// `tandem list strategies|models|datasets`.
struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the registered strategies, models or data sets.")

    enum What: String, ExpressibleByArgument, CaseIterable { case strategies, models, datasets }
    @Argument(help: "strategies, models or datasets") var what: What

    func run() {
        let registry = Registry.standard
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

/// `tandem describe NAME`.
struct Describe: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a strategy's, model's or data set's options and defaults.")
    @Argument(help: "A strategy, model or data set name.") var name: String

    func run() throws {
        let registry = Registry.standard
        guard let description = registry.describe(name) else {
            throw inputError(NameSuggestion.unknown("component", name, valid: registry.allNames))
        }
        print(description.documentation)
    }
}
