import TandemCore

/// A task's gate over experts (LibMTL's `gate_specific[task]`): softmax(W · flatten(x) + b), one
/// weight per expert for each sample, from the gate's input flattened. Parameters `NAME.0.weight`,
/// `NAME.0.bias` (the `nn.Sequential(Linear, Softmax)` position).
struct ExpertGate: Layer {
    let linear: Linear

    init(name: String, inputSize: Int, experts: Int) {
        linear = Linear(name: "\(name).0", inputSize: inputSize, outputSize: experts)
    }

    func initialParameters(generator: inout SeededGenerator) -> Parameters { linear.initialParameters(generator: &generator) }

    func callAsFunction(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        softmax(linear(input.reshaped([input.shape[0], input.count / input.shape[0]]), context), axis: 1)
    }
}

/// CGC's and PLE's expert counts: K_s shared, K_t per task (in task order), every task reading at least one.
func checkExpertCounts(_ architecture: String, tasks: [String], shared: Int, own: [Int]) {
    precondition(shared >= 0 && own.count == tasks.count && own.allSatisfy { $0 >= 0 },
                 "\(architecture) needs a count of shared experts and one per task (\(tasks)), got \(shared), \(own)")
    precondition(own.allSatisfy { shared + $0 >= 1 }, "every task of \(architecture) needs at least one expert")
}
