// What a downstream package gets with `import Tandem`: the core (tensors, autodiff, the strategy
// protocol, options) and the built-in strategies with their adaptors, besides the registry.
@_exported import TandemCore
@_exported import TandemStrategies
