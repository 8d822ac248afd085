import Testing
import TandemCore
import TandemStrategies

/// The meta-test over the registry: every registered strategy (and every documented variant of
/// its options) meets the shared properties on every input family, and has pinned vectors.
/// Serialized: the autodiff tape is per process, so steps must not interleave.
@Suite(.serialized) struct StrategyMetaTests {
    struct PropertyCase: CustomTestStringConvertible, Sendable {
        let configuration: StrategyConfiguration
        let property: StrategyProperty
        let family: InputFamily
        var testDescription: String { "\(configuration) · \(property.rawValue) · \(family.rawValue)" }
    }

    static let propertyCases: [PropertyCase] = StrategyConfiguration.all.flatMap { c in
        StrategyProperty.allCases.filter { StrategyPropertyKit.applies($0, to: c) }.flatMap { property in
            // Properties that do not depend on the input values run on one family.
            let families: [InputFamily] = [.relabelling, .scaling].contains(property) ? InputFamily.allCases : [.conflicting]
            return families.map { PropertyCase(configuration: c, property: property, family: $0) }
        }
    }

    @Test("every strategy has the shared properties", arguments: propertyCases)
    func property(_ c: PropertyCase) throws {
        try StrategyPropertyKit.check(c.property, c.configuration, c.family)
    }

    @Test("every registered strategy has pinned vectors", arguments: BuiltInStrategies.all.map { $0.description.name })
    func hasPinnedVectors(_ name: String) {
        #expect(!PinnedVectors.all.filter { $0.strategy == name }.isEmpty, "strategy '\(name)' is registered without pinned vectors (add them in Tests/StrategiesTests/PinnedVectors/)")
    }

    @Test("every pinned vector names a registered strategy")
    func pinnedVectorsNameRegisteredStrategies() {
        let names = Set(BuiltInStrategies.all.map { $0.description.name })
        for vector in PinnedVectors.all { #expect(names.contains(vector.strategy), "pinned vector '\(vector)' names unknown strategy '\(vector.strategy)'") }
    }

    @Test("pinned vectors", arguments: PinnedVectors.all)
    func pinned(_ vector: PinnedVector) throws { try vector.check() }

    @Test("names are unique and every description is complete")
    func descriptions() {
        let names = BuiltInStrategies.all.map { $0.description.name }
        #expect(Set(names).count == names.count, "duplicate strategy names: \(names)")
        for type in BuiltInStrategies.all {
            let d = type.description
            #expect(!d.title.isEmpty && !d.formula.isEmpty && !d.paper.isEmpty && !d.cost.isEmpty, "\(d.name): incomplete description")
            for option in d.options where option.defaultValue != nil {
                #expect(option.type.accepts(option.defaultValue!), "\(d.name).\(option.name): default \(option.defaultValue!) is not \(option.type)")
            }
        }
    }
}
