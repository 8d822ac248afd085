import Foundation

/// Which kernels run the convolutions (forward pass, input gradient — and so the transposed
/// convolutions — and weight gradient), from `TANDEM_CONVOLUTION`: oneDNN's direct kernels
/// (`onednn`, the default) or Tandem's own im2col + GEMM (`tandem`, the reference path the oneDNN
/// kernels are tested against). The two agree to float32 rounding, not bit for bit: a run records
/// the backend in provenance (`NumericsPolicy.kernelFamily`).
public enum ConvolutionBackend: String, CaseIterable, Sendable {
    case tandem
    case oneDNN = "onednn"

    public static let environmentVariable = "TANDEM_CONVOLUTION"

    /// The backend the environment asks for (`onednn` when unset), or an error naming the variable.
    public static func requested(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ConvolutionBackend {
        guard let text = environment[environmentVariable], !text.isEmpty else { return .oneDNN }
        guard let backend = ConvolutionBackend(rawValue: text.lowercased()) else {
            throw NumericsPolicyError(message: "\(environmentVariable)=\(text) is not a convolution backend: expected "
                                      + allCases.map(\.rawValue).joined(separator: " or "))
        }
        return backend
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var selected: ConvolutionBackend = (try? requested()) ?? .oneDNN

    /// The backend in use (tests switch it with `using(_:_:)`).
    public static var current: ConvolutionBackend {
        lock.lock(); defer { lock.unlock() }
        return selected
    }

    /// Runs `body` with `backend`, then restores the previous one.
    public static func using<T>(_ backend: ConvolutionBackend, _ body: () throws -> T) rethrows -> T {
        lock.lock(); let previous = selected; selected = backend; lock.unlock()
        defer { lock.lock(); selected = previous; lock.unlock() }
        return try body()
    }

    /// What provenance records: `Tandem im2col+GEMM` or oneDNN's version and instruction set.
    public static var description: String { current == .tandem ? "Tandem im2col+GEMM" : OneDNNConvolution.description }
}
