import TandemCore
import TandemStrategies

/// One registered strategy with one set of options: the unit the meta-test runs the property kit on.
struct StrategyConfiguration: CustomStringConvertible, Sendable {
    let type: any RegisteredStrategy.Type
    let overrides: [String: OptionValue]

    var name: String { type.description.name }
    var behaviour: StrategyBehaviour { type.description.behaviour }
    var description: String {
        overrides.isEmpty ? name : name + "(" + overrides.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") + ")"
    }

    func make(_ tasks: [TaskSpec], seed: UInt64 = 5) throws -> any GradientCombiner {
        try type.make(overrides, tasks: tasks, seed: seed)
    }

    func roles(_ count: Int) -> [TaskRole] {
        switch behaviour.roles {
        case .any: return [TaskRole](repeating: .primary, count: count)
        case .onePrimary: return [.primary] + [TaskRole](repeating: .auxiliary, count: count - 1)
        }
    }

    /// Every registered strategy with its defaults, plus one configuration per non-default value
    /// of each choice and boolean option (so every documented variant meets the properties).
    static var all: [StrategyConfiguration] {
        BuiltInStrategies.all.flatMap { type -> [StrategyConfiguration] in
            var result = [StrategyConfiguration(type: type, overrides: [:])]
            for option in type.description.options {
                switch option.type {
                case let .choice(names):
                    for value in names where OptionValue.text(value) != option.defaultValue {
                        result.append(StrategyConfiguration(type: type, overrides: [option.name: .text(value)]))
                    }
                case .boolean:
                    let flipped = option.defaultValue == .boolean(true) ? false : true
                    result.append(StrategyConfiguration(type: type, overrides: [option.name: .boolean(flipped)]))
                default:
                    break
                }
            }
            return result
        }
    }
}
