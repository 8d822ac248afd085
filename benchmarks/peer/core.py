"""PyTorch peer of `tandem-bench core`: the same ops, shapes and options, one JSON line out.

    python core.py sgemm m=512 n=512 k=512
    python core.py conv batch=8 in=64 out=64 height=64 width=96 kernel=3 stride=1 padding=1 pass=both
    python core.py convtranspose batch=8 in=128 out=64 height=16 width=24 kernel=3 stride=2 padding=1 output_padding=1

pass=both times forward + backward with gradients of both input and weight for a fixed random
cotangent (y.backward(cotangent)); pass=forward times the forward only (under no_grad);
pass=input / pass=weight time forward + only that one gradient (for profiling).
"""

import math
import sys

import torch
import torch.nn.functional as F

from timing import Options, fail, measure, report, setup_threads


def main(argv):
    setup_threads()
    options = Options(argv)
    if not options.positional:
        fail("core: name an op: sgemm, conv or convtranspose")
    op = options.positional[0]
    torch.manual_seed(options.int("seed", 1))
    policy = options.policy()

    if op == "sgemm":
        m = options.int("m", 512)
        n, k = options.int("n", m), options.int("k", m)
        a, b = torch.randn(m, k), torch.randn(k, n)
        samples = measure(policy, lambda: torch.mm(a, b))
        report(dict(op=op, shape=f"{m}x{n}x{k}", flops=2.0 * m * n * k), samples)
        return

    if op not in ("conv", "convtranspose"):
        fail(f"core: unknown op {op}; use sgemm, conv or convtranspose")
    batch, cin, cout = options.int("batch", 8), options.int("in", 64), options.int("out", 64)
    height, width, kernel = options.int("height", 32), options.int("width", 32), options.int("kernel", 3)
    stride, padding = options.int("stride", 1), options.int("padding", 0)
    output_padding = options.int("output_padding", 0)
    pass_ = options.str("pass", "both")
    if pass_ not in ("both", "forward", "input", "weight"):
        fail("core: pass must be both, forward, input or weight")
    transposed = op == "convtranspose"

    x = torch.randn(batch, cin, height, width)
    bound = 1 / math.sqrt(cin * kernel * kernel)
    weight_shape = (cin, cout, kernel, kernel) if transposed else (cout, cin, kernel, kernel)
    w = torch.empty(weight_shape).uniform_(-bound, bound)

    def apply(x, w):
        if transposed:
            return F.conv_transpose2d(x, w, stride=stride, padding=padding, output_padding=output_padding)
        return F.conv2d(x, w, stride=stride, padding=padding)

    with torch.no_grad():
        output_shape = apply(x, w).shape
    cotangent = torch.randn(output_shape)

    if pass_ == "forward":
        def step():
            with torch.no_grad():
                apply(x, w)
    else:
        xt = x.clone().requires_grad_(pass_ != "weight")
        wt = w.clone().requires_grad_(pass_ != "input")

        def step():
            xt.grad, wt.grad = None, None
            apply(xt, wt).backward(cotangent)
            assert (xt.grad is not None) == (pass_ != "weight") and (wt.grad is not None) == (pass_ != "input")

    samples = measure(policy, step)
    spatial = batch * height * width if transposed else batch * output_shape[2] * output_shape[3]
    macs = spatial * cin * cout * kernel * kernel
    shape = (f"N{batch} {cin}->{cout} k{kernel} s{stride} p{padding}"
             + (f" op{output_padding}" if transposed else "")
             + f" {height}x{width}->{output_shape[2]}x{output_shape[3]}")
    report({"op": op, "pass": pass_, "shape": shape, "flops": 2.0 * macs * {"both": 3, "forward": 1}.get(pass_, 2)}, samples)


if __name__ == "__main__":
    main(sys.argv[1:])
