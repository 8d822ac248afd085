/// Stochastic gradient descent with optional momentum, Nesterov momentum and weight decay
/// (PyTorch semantics, dampening 0): d = g + wd·θ; buf = μ·buf + d; d = nesterov ? d + μ·buf : buf;
/// θ ← θ − lr·d.
public struct SGD: Optimizer {
    public var momentum: Float, nesterov: Bool, weightDecay: Float

    public init(momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) {
        precondition(!nesterov || momentum > 0, "SGD: Nesterov momentum needs momentum > 0")
        self.momentum = momentum; self.nesterov = nesterov; self.weightDecay = weightDecay
    }

    public func initialState(for parameters: Parameters) -> OptimizerState {
        momentum == 0 ? OptimizerState() : OptimizerState(buffers: ["momentum": Parameters.zeros(like: parameters)])
    }

    public func step(parameters: Parameters, gradients: Parameters, state: OptimizerState,
                     learningRate: Float) -> (parameters: Parameters, state: OptimizerState) {
        var newParameters = Parameters(), newMomentum = Parameters()
        let (mu, wd, lr, nesterov) = (momentum, weightDecay, learningRate, nesterov)
        for (name, theta) in parameters {
            let g = gradients[name]
            precondition(g.shape == theta.shape, "SGD: gradient of \(name) has shape \(g.shape), parameter \(theta.shape)")
            let out = uninitialisedLike(theta)
            let t = theta.pointer, gp = g.pointer, o = out.pointer
            if mu == 0 {
                elementwiseUpdate(count: theta.count) { r in for i in r { o[i] = t[i] - lr * (gp[i] + wd * t[i]) } }
            } else {
                let buffer = state.buffers["momentum"]![name]
                let nb = uninitialisedLike(theta)
                let b = buffer.pointer, n = nb.pointer
                elementwiseUpdate(count: theta.count) { r in
                    for i in r {
                        let d = gp[i] + wd * t[i]
                        let v = mu * b[i] + d
                        n[i] = v
                        o[i] = t[i] - lr * (nesterov ? d + mu * v : v)
                    }
                }
                newMomentum[name] = Tensor(shape: theta.shape, storage: nb)
            }
            newParameters[name] = Tensor(shape: theta.shape, storage: out)
        }
        var newState = state
        newState.step += 1
        if mu != 0 { newState.buffers["momentum"] = newMomentum }
        return (newParameters, newState)
    }
}
