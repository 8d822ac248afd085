import Tandem
import TandemCLI

TandemCommand.main(registry: .standard)
