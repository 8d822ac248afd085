import Tandem
import TandemCLI

// Tandem's whole command line — train, suite (with --slurm), report, combine, describe, list,
// affinity — with this package's strategies registered beside the built-in ones. Suites run their
// cells, and Slurm jobs, with this executable.
TandemCommand.main(registry: .standard
    .adding(LogLossSum.self)
    .adding(NormEqualised.self)
    .adding(CosineDiscount.self)
    .adding(AuxiliaryLookaheadGate.self))
