import Foundation

/// Adam (Kingma & Ba) with PyTorch semantics: g += wd·θ (L2) or, when `decoupled`, θ ← θ(1 − lr·wd)
/// (AdamW); m = β₁m + (1−β₁)g; v = β₂v + (1−β₂)g²; θ ← θ − lr·m̂/(√v̂ + ε).
public struct Adam: Optimizer {
    public var beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float, decoupled: Bool

    public init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0, decoupled: Bool = false) {
        self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon; self.weightDecay = weightDecay; self.decoupled = decoupled
    }

    public func initialState(for parameters: Parameters) -> OptimizerState {
        OptimizerState(buffers: ["firstMoment": Parameters.zeros(like: parameters), "secondMoment": Parameters.zeros(like: parameters)])
    }

    public func step(parameters: Parameters, gradients: Parameters, state: OptimizerState,
                     learningRate: Float) -> (parameters: Parameters, state: OptimizerState) {
        let step = state.step + 1
        let (b1, b2, eps, wd, lr, decoupled) = (beta1, beta2, epsilon, weightDecay, learningRate, decoupled)
        let correction1 = 1 - Float(Foundation.pow(Double(b1), Double(step)))
        let correction2 = 1 - Float(Foundation.pow(Double(b2), Double(step)))
        var newParameters = Parameters(), newFirst = Parameters(), newSecond = Parameters()
        for (name, theta) in parameters {
            let g = gradients[name]
            precondition(g.shape == theta.shape, "Adam: gradient of \(name) has shape \(g.shape), parameter \(theta.shape)")
            let m = state.buffers["firstMoment"]![name], v = state.buffers["secondMoment"]![name]
            let out = uninitialisedLike(theta), nm = uninitialisedLike(theta), nv = uninitialisedLike(theta)
            let t = theta.pointer, gp = g.pointer, mp = m.pointer, vp = v.pointer
            let o = out.pointer, mo = nm.pointer, vo = nv.pointer
            elementwiseUpdate(count: theta.count) { r in
                for i in r {
                    let grad = decoupled ? gp[i] : gp[i] + wd * t[i]
                    let base = decoupled ? t[i] * (1 - lr * wd) : t[i]
                    let first = b1 * mp[i] + (1 - b1) * grad
                    let second = b2 * vp[i] + (1 - b2) * grad * grad
                    mo[i] = first
                    vo[i] = second
                    o[i] = base - lr * (first / correction1) / ((second / correction2).squareRoot() + eps)
                }
            }
            newParameters[name] = Tensor(shape: theta.shape, storage: out)
            newFirst[name] = Tensor(shape: theta.shape, storage: nm)
            newSecond[name] = Tensor(shape: theta.shape, storage: nv)
        }
        return (newParameters, OptimizerState(step: step, buffers: ["firstMoment": newFirst, "secondMoment": newSecond]))
    }
}
