#!/usr/bin/env python3
"""Peer vectors for Tandem's strategy tests: the peers' OWN code run on fixed random inputs.

Set-up (exactly what produced the committed files; the venv is git-ignored):

    python3 -m venv benchmarks/.venv
    benchmarks/.venv/bin/pip install "torch==2.13.0+cpu"
    benchmarks/.venv/bin/pip install "torchjd[full]==0.18.0" numpy scipy
    benchmarks/.venv/bin/pip install --no-deps LibMTL==1.1.5
    git clone https://github.com/median-research-group/LibMTL /tmp/LibMTL
    git -C /tmp/LibMTL checkout 4336804847eaa5e0b924b743d76beec7ac3fdc97
    LIBMTL_GIT=/tmp/LibMTL benchmarks/.venv/bin/python Tests/Fixtures/peers/generate.py

(`pip download torch==2.13.0+cpu` is what pip could see here; plain `pip install torch` works
too. LibMTL 1.1.5 pins an ancient torch in its metadata, hence `--no-deps`; its weighting classes
only need torch, numpy and scipy. DB-MTL and MoCo exist only in LibMTL's GitHub tree, after 1.1.5:
LIBMTL_GIT names a checkout whose weighting modules run beside the installed release; without it
their vectors, libmtl-git.*.json, are left untouched.)

What it does. Every input is a per-task gradient matrix G (T x P, float32 values) with losses L,
from four families (conflicting, non-conflicting, one dominant, ill-conditioned) at fixed seeds.
Each peer runs on the linear surrogate L_t(theta) = l_t + g_t . theta at theta = 0, so the peer's
own backward / gradient code produces exactly g_t; the combined direction the peer writes into the
shared parameters' .grad (LibMTL) or returns (torchjd) is recorded, with its weights where the peer
exposes them. Everything runs in float64 (torch.set_default_dtype) so that differences are the
methods', not float32 rounding. Randomness inside the peers (task orders, GradDrop thresholds, RLW
draws) is recorded by wrapping the peers' random calls, so the Swift tests can replay it.

Output: inputs.json (the cases) and one file per peer and method under vectors/, each with the
peer, its version and the options used. No Python runs at test time.
"""

import json
import os
import random
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "vectors")

# LibMTL 1.1.5's package __init__ imports its model zoo, which needs a torchvision API removed years
# ago (torchvision.models.utils). Only its weighting classes are needed: register the package
# without running that __init__, so `LibMTL.weighting` imports unchanged.
import importlib.util  # noqa: E402
import types  # noqa: E402
_spec = importlib.util.find_spec("LibMTL")
_package = types.ModuleType("LibMTL")
_package.__path__ = list(_spec.submodule_search_locations)
sys.modules["LibMTL"] = _package
import torchjd  # noqa: E402
from importlib.metadata import version as _version  # noqa: E402

LIBMTL_VERSION = _version("LibMTL")
TORCHJD_VERSION = _version("torchjd")
TORCH_VERSION = torch.__version__

FAMILIES = ["conflicting", "nonconflicting", "dominant", "illconditioned"]


# ----------------------------------------------------------------------------------------------
# Inputs
# ----------------------------------------------------------------------------------------------

def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def make_gradients(family, t, p, rng):
    if family == "conflicting":
        # A random base plus, for every task, a push against the previous task: every step has
        # conflicting pairs (and T = 2 always conflicts).
        g = rng.normal(size=(t, p))
        for i in range(1, t):
            g[i] -= 1.2 * g[i - 1] * (np.dot(g[i], g[i - 1]) / np.dot(g[i - 1], g[i - 1]) + 0.5)
    elif family == "nonconflicting":
        common = rng.normal(size=p)
        g = common + 0.6 * rng.normal(size=(t, p))
        # Make every pairwise inner product positive: add the common part until they are.
        while np.min(g @ g.T) <= 0:
            g += 0.5 * common
    elif family == "dominant":
        g = rng.normal(size=(t, p))
        g[rng.integers(t)] *= 25.0
    elif family == "illconditioned":
        # Gram eigenvalues spread x500 exactly (singular values spread sqrt(500)), random bases.
        q1, _ = np.linalg.qr(rng.normal(size=(t, t)))
        q2, _ = np.linalg.qr(rng.normal(size=(p, t)))
        s = np.sqrt(np.geomspace(500.0, 1.0, t)) if t > 1 else np.array([1.0])
        g = (q1 * s) @ q2.T
    else:
        raise ValueError(family)
    return f32(g)


def build_cases():
    cases = []
    seed = 1000
    for family in FAMILIES:
        for t in [2, 3, 4, 5]:
            for p in [7, 100]:
                seed += 1
                cases.append(make_case(family, t, p, seed))
        seed += 1
        t = {"conflicting": 3, "nonconflicting": 4, "dominant": 5, "illconditioned": 5}[family]
        cases.append(make_case(family, t, 1000, seed))
    return cases


def make_case(family, t, p, seed):
    rng = np.random.default_rng(seed)
    g = make_gradients(family, t, p, rng)
    losses = f32(rng.uniform(0.2, 3.0, size=t))
    return {"name": f"{family}-T{t}-P{p}", "family": family, "seed": seed, "tasks": t,
            "parameters": p, "gradients": g, "losses": losses}


def build_representation_cases():
    """GradDrop at the representation: per-sample gradients h_t (B x D) and the layer input A."""
    cases = []
    seed = 5000
    for t in [2, 3, 4, 5]:
        for d in [5, 40]:
            seed += 1
            rng = np.random.default_rng(seed)
            b = 3
            h = f32(rng.normal(size=(t, b, d)))
            a = f32(rng.normal(size=(b, d)))
            cases.append({"name": f"rep-T{t}-B{b}-D{d}", "seed": seed, "tasks": t, "batch": b,
                          "features": d, "representationGradients": h, "inputs": a})
    return cases


# ----------------------------------------------------------------------------------------------
# Running the peers on the linear surrogate
# ----------------------------------------------------------------------------------------------

class Surrogate:
    """theta (length P, at 0) and losses l_t + g_t . theta: backward of L_t gives exactly g_t."""

    def __init__(self, case, scales=None):
        self.g = torch.tensor(case["gradients"])
        self.l = torch.tensor(case["losses"])
        self.theta = torch.nn.Parameter(torch.zeros(self.g.shape[1]))

    def losses(self):
        return self.l + self.g @ self.theta


def libmtl_weighting(cls, task_num, share_params, rep_grad=False):
    w = cls()
    w.task_num = task_num
    w.device = torch.device("cpu")
    w.rep_grad = rep_grad
    w.get_share_params = lambda: share_params

    def zero():
        for p in share_params:
            if p.grad is not None:
                p.grad.zero_()
    w.zero_grad_share_params = zero
    w.init_param()
    return w


class Recorder:
    """Wraps a random function of a peer module and records what it returned."""

    def __init__(self, module, name, wrap):
        self.module, self.name, self.records = module, name, []
        self.original = getattr(module, name)
        setattr(module, name, wrap(self.original, self.records))

    def restore(self):
        setattr(self.module, self.name, self.original)


def record_shuffle(original, records):
    def shuffle(x):
        original(x)
        records.append(list(x))
    return shuffle


def record_tensor_call(original, records):
    def call(*args, **kwargs):
        value = original(*args, **kwargs)
        records.append(value.detach().clone().tolist())
        return value
    return call


def run_libmtl_gradient(cls, case, seed, **kwargs):
    """One LibMTL backward on the surrogate; returns (direction, returned weights)."""
    s = Surrogate(case)
    w = libmtl_weighting(cls, case["tasks"], [s.theta])
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    out = w.backward(s.losses(), **kwargs)
    return s.theta.grad.detach().clone().numpy(), (None if out is None else np.asarray(out, dtype=np.float64)), w, s


def jd_aggregate(aggregator, case):
    j = torch.tensor(case["gradients"])
    return aggregator(j).detach().numpy()


def jd_weights(weighting, case):
    j = torch.tensor(case["gradients"])
    return weighting(j @ j.T).detach().numpy()


# ----------------------------------------------------------------------------------------------
# Output
# ----------------------------------------------------------------------------------------------

def short(x, inputs=False):
    """Floats as JSON-friendly short decimals: float32 inputs by their shortest float32 decimal
    (parsing it and rounding to Float gives the exact value back), outputs to 10 significant digits."""
    x = float(x)
    if not np.isfinite(x):
        return x
    return float(str(np.float32(x))) if inputs else float(f"{x:.10g}")


def tolist(x, inputs=False):
    if isinstance(x, float):
        return short(x, inputs)
    if isinstance(x, dict):
        return {k: tolist(v, inputs) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [tolist(v, inputs) for v in x]
    if isinstance(x, np.generic):
        return tolist(x.item(), inputs)
    if isinstance(x, np.ndarray):
        return tolist(x.tolist(), inputs)
    if isinstance(x, torch.Tensor):
        return tolist(x.detach().tolist(), inputs)
    return x


def write(peer, peer_version, method, options, results, notes=""):
    os.makedirs(OUT, exist_ok=True)
    document = {"peer": peer, "version": peer_version, "torch": TORCH_VERSION, "method": method,
                "options": options, "dtype": "float64", "notes": notes,
                "results": [{k: tolist(v) for k, v in r.items()} for r in results]}
    path = os.path.join(OUT, f"{peer}.{method}.json")
    with open(path, "w") as f:
        json.dump(document, f, separators=(",", ":"), allow_nan=True)
        f.write("\n")
    print(f"wrote {os.path.relpath(path, HERE)}: {len(results)} results")


def failure(case, error):
    return {"case": case["name"], "error": f"{type(error).__name__}: {error}"}


# ----------------------------------------------------------------------------------------------
# LibMTL 1.1.5
# ----------------------------------------------------------------------------------------------

def libmtl_all(cases, rep_cases):
    from LibMTL.weighting import CAGrad, GLS, GradDrop, GradVac, IMTL, MGDA, PCGrad, RLW
    pcgrad_module = sys.modules["LibMTL.weighting.PCGrad"]  # the modules (the package re-exports the classes)
    gradvac_module = sys.modules["LibMTL.weighting.GradVac"]

    for gn in ["none", "l2", "loss", "loss+"]:
        results = []
        for c in cases:
            d, w, _, _ = run_libmtl_gradient(MGDA, c, c["seed"], mgda_gn=gn)
            results.append({"case": c["name"], "direction": d, "weights": w})
        write("libmtl", LIBMTL_VERSION, f"mgda-{gn}", {"mgda_gn": gn, "rep_grad": False}, results,
              "param level: LibMTL multiplies the weights onto the normalised gradients")

    for rescale in [0, 1]:
        results = []
        for c in cases:
            try:
                d, w, _, _ = run_libmtl_gradient(CAGrad, c, c["seed"], calpha=0.5, rescale=rescale)
                results.append({"case": c["name"], "direction": d, "weights": w})
            except Exception as e:  # LibMTL 1.1.5 hard-codes T = 3 in its objective
                results.append(failure(c, e))
        write("libmtl", LIBMTL_VERSION, f"cagrad-rescale{rescale}", {"calpha": 0.5, "rescale": rescale}, results)

    results = []
    for c in cases:
        d, w, _, _ = run_libmtl_gradient(IMTL, c, c["seed"])
        results.append({"case": c["name"], "direction": d, "weights": w})
    write("libmtl", LIBMTL_VERSION, "imtl", {"loss_scale": 0.0}, results,
          "full IMTL at its initial loss scale s = 0 (scaled loss gradients = raw gradients)")

    # Full IMTL at a non-zero loss scale: gradients of e^s L - s, then IMTL-G on them.
    results = []
    for c in cases:
        s = Surrogate(c)
        w = libmtl_weighting(IMTL, c["tasks"], [s.theta])
        scale = f32(np.random.default_rng(c["seed"] + 7).uniform(-1, 1, size=c["tasks"]))
        with torch.no_grad():
            w.loss_scale.copy_(torch.tensor(scale))
        alpha = w.backward(s.losses())
        results.append({"case": c["name"], "direction": s.theta.grad.numpy(), "weights": np.asarray(alpha),
                        "lossScale": scale, "lossScaleGradient": w.loss_scale.grad.numpy()})
    write("libmtl", LIBMTL_VERSION, "imtl-scaled", {"loss_scale": "per case"}, results,
          "full IMTL with loss_scale set to lossScale; lossScaleGradient is loss_scale.grad after backward")

    for method, cls, module, kwargs in [("pcgrad", PCGrad, pcgrad_module, {}),
                                        ("gradvac", GradVac, gradvac_module, {"beta": 0.5})]:
        results = []
        for c in cases:
            s = Surrogate(c)
            w = libmtl_weighting(cls, c["tasks"], [s.theta])
            random.seed(c["seed"])
            steps = []
            for _ in range(2 if method == "gradvac" else 1):
                rec = Recorder(module.random, "shuffle", record_shuffle)
                try:
                    s.theta.grad = None
                    out = w.backward(s.losses(), **kwargs)
                finally:
                    rec.restore()
                step = {"direction": s.theta.grad.detach().clone().numpy(), "weights": np.asarray(out, dtype=np.float64),
                        "orders": rec.records}
                if method == "gradvac":
                    step["targets"] = w.rho_T.detach().clone().numpy()
                steps.append(step)
            results.append({"case": c["name"], "steps": steps})
        write("libmtl", LIBMTL_VERSION, method, dict(kwargs), results,
              "orders: the task orders random.shuffle produced, one per task i (LibMTL's PCGrad includes i itself); "
              + ("two successive steps on the same gradients (the targets carry over)" if method == "gradvac" else ""))

    results = []
    for c in cases:
        s = Surrogate(c)
        w = libmtl_weighting(GLS, c["tasks"], [s.theta])
        out = w.backward(s.losses())
        results.append({"case": c["name"], "direction": s.theta.grad.numpy(), "reportedWeights": np.asarray(out)})
    write("libmtl", LIBMTL_VERSION, "gls", {}, results, "reportedWeights: what GLS.backward returns (not the effective weights)")

    for dist in ["Normal", "Uniform", "Dirichlet"]:
        results = []
        for c in cases:
            s = Surrogate(c)
            w = libmtl_weighting(RLW, c["tasks"], [s.theta])
            torch.manual_seed(c["seed"])
            draws = []
            import torch.distributions as td
            cls = {"Normal": td.normal.Normal, "Uniform": td.uniform.Uniform, "Dirichlet": td.dirichlet.Dirichlet}[dist]
            rec = Recorder(cls, "sample", lambda original, records: (lambda self, *a, **k: (lambda v: (records.append(v.tolist()), v)[1])(original(self, *a, **k))))
            try:
                out = w.backward(s.losses(), dist=dist)
            finally:
                rec.restore()
            results.append({"case": c["name"], "direction": s.theta.grad.numpy(), "weights": np.asarray(out),
                            "draw": rec.records[0]})
        write("libmtl", LIBMTL_VERSION, f"rlw-{dist.lower()}", {"dist": dist}, results,
              "draw: the distribution sample; LibMTL softmaxes it for Normal, Uniform and Dirichlet alike")

    results = []
    for c in rep_cases:
        h = torch.tensor(c["representationGradients"])
        a = torch.tensor(c["inputs"])
        t = c["tasks"]
        rep = torch.nn.Parameter(a.clone())
        w = libmtl_weighting(GradDrop, t, [rep], rep_grad=True)
        w.rep = rep
        w.task_name = [f"task{i}" for i in range(t)]
        w.rep_tasks = {}
        losses = []
        for i, name in enumerate(w.task_name):
            leaf = rep.detach().clone().requires_grad_(True)
            w.rep_tasks[name] = leaf
            losses.append((h[i] * leaf).sum())
        losses = torch.stack(losses)
        torch.manual_seed(c["seed"])
        rec = Recorder(torch, "rand_like", record_tensor_call)
        try:
            w.backward(losses, leak=0.0)
        finally:
            rec.restore()
        results.append({"case": c["name"], "direction": rep.grad.numpy(), "thresholds": rec.records[0]})
    write("libmtl", LIBMTL_VERSION, "graddrop", {"leak": 0.0, "rep_grad": True}, results,
          "direction: the gradient LibMTL backpropagates into the representation (B x D); thresholds: its U")


# ----------------------------------------------------------------------------------------------
# torchjd 0.18.0
# ----------------------------------------------------------------------------------------------

def torchjd_all(cases, rep_cases):
    from torchjd import aggregation as A
    from torchjd import scalarization as S
    from torchjd._linalg import QuadprogProjector
    import torchjd.aggregation._pcgrad as pcgrad_module
    import torchjd.aggregation._gradvac as gradvac_module
    import torchjd.aggregation._graddrop as graddrop_module
    import torchjd.aggregation._random as random_module

    def gramian_method(method, make, options, notes=""):
        results = []
        for c in cases:
            agg = make(c)
            try:
                d = jd_aggregate(agg, c)
                w = jd_weights(agg.gramian_weighting, c)
                results.append({"case": c["name"], "direction": d, "weights": w})
            except Exception as e:
                results.append(failure(c, e))
        write("torchjd", TORCHJD_VERSION, method, options, results, notes)

    gramian_method("upgrad", lambda c: A.UPGrad(), {"pref_vector": "mean", "norm_eps": 1e-4, "reg_eps": 1e-4})
    gramian_method("upgrad-noreg", lambda c: A.UPGrad(projector=QuadprogProjector(norm_eps=1e-4, reg_eps=0.0)),
                   {"pref_vector": "mean", "norm_eps": 1e-4, "reg_eps": 0.0})
    gramian_method("upgrad-pref", lambda c: A.UPGrad(pref_vector=torch.tensor(preference(c["tasks"]))),
                   {"pref_vector": "preference(T)", "norm_eps": 1e-4, "reg_eps": 1e-4},
                   "preference(T) = (T, T-1, ..., 1) / sum")
    gramian_method("dualproj", lambda c: A.DualProj(), {"pref_vector": "mean", "norm_eps": 1e-4, "reg_eps": 1e-4})
    gramian_method("dualproj-noreg", lambda c: A.DualProj(projector=QuadprogProjector(norm_eps=1e-4, reg_eps=0.0)),
                   {"pref_vector": "mean", "norm_eps": 1e-4, "reg_eps": 0.0})
    gramian_method("dualproj-pref", lambda c: A.DualProj(pref_vector=torch.tensor(preference(c["tasks"]))),
                   {"pref_vector": "preference(T)", "norm_eps": 1e-4, "reg_eps": 1e-4},
                   "preference(T) = (T, T-1, ..., 1) / sum")
    gramian_method("mgda", lambda c: A.MGDA(), {"epsilon": 1e-3, "max_iters": 100})
    gramian_method("cagrad", lambda c: A.CAGrad(c=0.5), {"c": 0.5, "norm_eps": 1e-4}, "no rescaling")
    gramian_method("imtlg", lambda c: A.IMTLG(), {})
    gramian_method("alignedmtl", lambda c: A.AlignedMTL(), {"pref_vector": "mean", "scale_mode": "min"})
    for alpha in [0.5, 1.0, 2.0]:
        gramian_method(f"fairgrad-alpha{alpha:g}", lambda c, a=alpha: A.FairGrad(alpha=a), {"alpha": alpha, "max_iters": None})

    # Nash-MTL: fresh state per case (the peer warm-starts from ones), with and without its clip.
    for max_norm in [0.0, 1.0]:
        results = []
        for c in cases:
            agg = A.NashMTL(n_tasks=c["tasks"], max_norm=max_norm)
            j = torch.tensor(c["gradients"])
            try:
                d = agg(j).detach().numpy()
                alpha = agg.weighting.prvs_alpha
                gram = c["gradients"] @ c["gradients"].T
                residual = float(np.max(np.abs(alpha * (gram @ alpha) - 1)))
                results.append({"case": c["name"], "direction": d, "weights": np.asarray(alpha, dtype=np.float64),
                                "bargainingResidual": residual})
            except Exception as e:
                results.append(failure(c, e))
        write("torchjd", TORCHJD_VERSION, f"nashmtl-maxnorm{max_norm:g}",
              {"max_norm": max_norm, "update_weights_every": 1, "optim_niter": 20}, results,
              "weights: the peer's alpha before its max-norm rescale; bargainingResidual = max_t |alpha_t (g_t . d) - 1| "
              "in the original scale (0 at the exact Nash bargaining solution)")

    for method, make, module, name in [("pcgrad", lambda c: A.PCGrad(), pcgrad_module, "randperm"),
                                       ("gradvac", lambda c: A.GradVac(beta=0.5), gradvac_module, "randperm")]:
        results = []
        for c in cases:
            agg = make(c)
            torch.manual_seed(c["seed"])
            steps = []
            for _ in range(2 if method == "gradvac" else 1):
                rec = Recorder(module.torch, name, record_tensor_call)
                try:
                    d = jd_aggregate(agg, c)
                finally:
                    rec.restore()
                step = {"direction": d, "permutations": rec.records}
                if method == "gradvac":
                    step["targets"] = agg.gramian_weighting._phi_t.detach().clone().numpy()
                steps.append(step)
            results.append({"case": c["name"], "steps": steps})
        write("torchjd", TORCHJD_VERSION, method, {"beta": 0.5} if method == "gradvac" else {}, results,
              "permutations: torch.randperm outputs in call order (PCGrad: one of all T tasks per i, i skipped; "
              "GradVac: one of the other tasks' positions per i); GradVac runs two steps (targets carry over)")

    results = []
    for c in cases:
        torch.manual_seed(c["seed"])
        rec = Recorder(graddrop_module.torch, "rand", record_tensor_call)
        try:
            d = jd_aggregate(A.GradDrop(), c)
        finally:
            rec.restore()
        results.append({"case": c["name"], "direction": d, "thresholds": rec.records[0]})
    write("torchjd", TORCHJD_VERSION, "graddrop", {"leak": None, "f": "identity"}, results,
          "GradDrop on the parameter-level rows (no sign of inputs, no epsilon); thresholds: its U")

    results = []
    for c in cases:
        torch.manual_seed(c["seed"])
        rec = Recorder(random_module.torch, "randn", record_tensor_call)
        try:
            d = jd_aggregate(A.Random(), c)
        finally:
            rec.restore()
        results.append({"case": c["name"], "direction": d, "draw": rec.records[0]})
    write("torchjd", TORCHJD_VERSION, "random", {}, results, "RLW: softmax of a standard normal draw")

    # Scalarizers, on the surrogate (backward of the scalar gives the direction).
    def scalarizer_method(method, make, options, notes=""):
        results = []
        for c in cases:
            s = Surrogate(c)
            value = make(c)(s.losses())
            value.backward()
            results.append({"case": c["name"], "direction": s.theta.grad.numpy(), "value": float(value)})
        write("torchjd", TORCHJD_VERSION, method, options, results, notes)

    scalarizer_method("geometricmean", lambda c: S.GeometricMean(), {})
    for mu in [1.0, 0.1]:
        scalarizer_method(f"stch-mu{mu:g}", lambda c, m=mu: S.STCH(mu=m), {"mu": mu, "weights": "1/T", "reference": 0})
        scalarizer_method(f"stch-mu{mu:g}-reference",
                          lambda c, m=mu: S.STCH(mu=m, weights=torch.tensor(preference(c["tasks"])),
                                                 reference=torch.tensor(0.1 * c["losses"])),
                          {"mu": mu, "weights": "preference(T)", "reference": "0.1 L"})

    results = []
    for c in cases:
        s = Surrogate(c)
        imtll = S.IMTLL(c["tasks"])
        scale = f32(np.random.default_rng(c["seed"] + 7).uniform(-1, 1, size=c["tasks"]))
        with torch.no_grad():
            imtll.log_scale.copy_(torch.tensor(scale))
        value = imtll(s.losses())
        value.backward()
        results.append({"case": c["name"], "direction": s.theta.grad.numpy(), "value": float(value),
                        "lossScale": scale, "lossScaleGradient": imtll.log_scale.grad.numpy()})
    write("torchjd", TORCHJD_VERSION, "imtll", {}, results, "IMTL-L at the log scale lossScale")

    # FAMO: three SGD steps of the surrogate, the peer's own update from the losses after.
    for weight_decay in [1e-3]:
        results = []
        for c in cases:
            s = Surrogate(c)
            famo = S.FAMO(c["tasks"], lr=0.025, weight_decay=weight_decay)
            steps = []
            for _ in range(3):
                before = s.losses()
                value = famo(before)
                s.theta.grad = None
                value.backward()
                d = s.theta.grad.detach().clone()
                # A step that changes every loss by at most 10 % of the smallest (the surrogate's
                # losses are linear and would otherwise go negative on the wide cases).
                eta = 0.1 * float(before.min()) / float((s.g @ d).abs().max())
                with torch.no_grad():
                    s.theta -= eta * d
                after = s.losses().detach()
                famo.update(after)
                steps.append({"losses": before.detach().numpy(), "direction": d.numpy(),
                              "lossesAfter": after.numpy(), "logits": famo._w.detach().clone().numpy()})
            results.append({"case": c["name"], "steps": steps})
        write("torchjd", TORCHJD_VERSION, "famo", {"lr": 0.025, "weight_decay": weight_decay, "min_losses": 0,
                                                     "model_step": "SGD on the surrogate, step 0.1 min(L)/max|G d|"}, results,
              "logits: xi after the update of each step; losses/lossesAfter: before/after the model step")


# ----------------------------------------------------------------------------------------------
# torchjd 0.18.0: the aggregators Tandem added later (ls, config, excessmtl, pcd, sdmgrad, modo, cr-mogm)
# ----------------------------------------------------------------------------------------------

def constant_weights(case):
    """Fixed per-task weights of a case, float32 values in [0, 2), one of them 0 when T > 2."""
    w = f32(np.random.default_rng(case["seed"] + 11).uniform(0.0, 2.0, size=case["tasks"]))
    if case["tasks"] > 2:
        w[1] = 0.0
    return w


def step_scales(case, steps):
    """Per-step row scales (float32 values): step k's gradients are diag(scales[k]) G."""
    rng = np.random.default_rng(case["seed"] + 13)
    return [np.ones(case["tasks"])] + [f32(rng.uniform(0.25, 2.0, size=case["tasks"])) for _ in range(steps - 1)]


def torchjd_added(cases):
    from torchjd import aggregation as A

    results = []
    for c in cases:
        w = constant_weights(c)
        d = jd_aggregate(A.Constant(torch.tensor(w)), c)
        results.append({"case": c["name"], "direction": d, "weights": w})
    write("torchjd", TORCHJD_VERSION, "constant", {"weights": "per case (float32 in [0, 2); w[1] = 0 when T > 2)"}, results,
          "Constant: d = sum_t w_t g_t with the case's weights (Tandem's ls)")

    for method, make, options in [
            ("config", lambda c: A.ConFIG(), {"pref_vector": None}),
            ("config-pref", lambda c: A.ConFIG(pref_vector=torch.tensor(preference(c["tasks"]))), {"pref_vector": "preference(T)"})]:
        results = []
        for c in cases:
            try:
                results.append({"case": c["name"], "direction": jd_aggregate(make(c), c)})
            except Exception as e:
                results.append(failure(c, e))
        write("torchjd", TORCHJD_VERSION, method, options, results,
              "ConFIG (Eq. 2): torch.linalg.pinv of the unit rows; preference(T) = (T, T-1, ..., 1) / sum")

    # ExcessMTL is stateful (S, the weights, the baseline): four calls per case on rescaled rows.
    for method, kwargs in [("excessmtl", {"robust_step_size": 1.0, "n_warmup_steps": 0}),
                           ("excessmtl-warmup2", {"robust_step_size": 0.5, "n_warmup_steps": 2})]:
        results = []
        for c in cases:
            agg = A.ExcessMTL(**kwargs)
            g = torch.tensor(c["gradients"])
            steps = []
            for scales in step_scales(c, 4):
                j = torch.tensor(scales).unsqueeze(1) * g
                d = agg(j).detach().numpy()
                steps.append({"rowScales": scales, "direction": d,
                              "weights": agg.weighting._weights.detach().clone().numpy()})
            results.append({"case": c["name"], "steps": steps})
        write("torchjd", TORCHJD_VERSION, method, kwargs, results,
              "four calls of one aggregator; call k aggregates diag(rowScales) G (float64 products); "
              "weights: the peer's state after the call (what it applied)")

    # PCD is stateful (the moving average of squared norms): four calls per case on rescaled rows;
    # row 0 is the primary objective.
    for method, kwargs in [("pcd", {"tau": 0.02, "beta": 0.999, "eps": 1e-8}),
                           ("pcd-tau0.5", {"tau": 0.5, "beta": 0.9, "eps": 1e-8})]:
        results = []
        for c in cases:
            agg = A.PCD(**kwargs)
            g = torch.tensor(c["gradients"])
            steps = []
            for scales in step_scales(c, 4):
                j = torch.tensor(scales).unsqueeze(1) * g
                d = agg(j).detach().numpy()
                steps.append({"rowScales": scales, "direction": d})
            results.append({"case": c["name"], "steps": steps})
        write("torchjd", TORCHJD_VERSION, method, kwargs, results,
              "four calls of one aggregator (row 0 primary); call k aggregates diag(rowScales) G (float64 products)")

    # SDMGrad's weighting takes A = J1 J2^T of two independent batches and keeps w between calls:
    # four calls per case with A_k = (diag(s_k) G)(diag(r_k) G)^T (rowScales s_k, secondRowScales
    # r_k), and four calls on A = G G^T (the strategy harness draws the same batch three times:
    # there the direction is recorded too).
    for method, kwargs in [("sdmgrad", {"lr": 10.0, "momentum": 0.5, "n_iter": 20, "lambda_": 0.3}),
                           ("sdmgrad-custom", {"lr": 5.0, "momentum": 0.3, "n_iter": 7, "lambda_": 0.6})]:
        for gram in [False, True]:
            if gram and method != "sdmgrad":
                continue
            results = []
            for c in cases:
                weighting = A.SDMGradWeighting(**kwargs)
                g = torch.tensor(c["gradients"])
                steps = []
                for scales, second in zip(step_scales(c, 4), step_loss_scales(c, 4)):
                    if gram:
                        w = weighting(g @ g.T)
                        steps.append({"weights": w.detach().numpy(), "direction": (w @ g).detach().numpy()})
                    else:
                        j1 = torch.tensor(scales).unsqueeze(1) * g
                        j2 = torch.tensor(second).unsqueeze(1) * g
                        w = weighting(j1 @ j2.T)
                        steps.append({"rowScales": scales, "secondRowScales": second, "weights": w.detach().numpy()})
                results.append({"case": c["name"], "steps": steps})
            write("torchjd", TORCHJD_VERSION, method + ("-gram" if gram else ""), kwargs, results,
                  "four calls of one SDMGradWeighting (w carries over); " +
                  ("on A = G G^T; direction = weights @ G" if gram else
                   "call k on A = (diag(rowScales) G)(diag(secondRowScales) G)^T (float64 products); weights: its output"))

    # MoDo's weighting, the same way: A_k from two rescaled batches, and A = G G^T with directions.
    for method, kwargs in [("modo", {"gamma": 0.1, "rho": 0.1}), ("modo-custom", {"gamma": 0.5, "rho": 0.0})]:
        for gram in [False, True]:
            if gram and method != "modo":
                continue
            results = []
            for c in cases:
                weighting = A.MoDoWeighting(**kwargs)
                g = torch.tensor(c["gradients"])
                steps = []
                for scales, second in zip(step_scales(c, 4), step_loss_scales(c, 4)):
                    if gram:
                        w = weighting(g @ g.T)
                        steps.append({"weights": w.detach().numpy(), "direction": (w @ g).detach().numpy()})
                    else:
                        j1 = torch.tensor(scales).unsqueeze(1) * g
                        j2 = torch.tensor(second).unsqueeze(1) * g
                        w = weighting(j1 @ j2.T)
                        steps.append({"rowScales": scales, "secondRowScales": second, "weights": w.detach().numpy()})
                results.append({"case": c["name"], "steps": steps})
            write("torchjd", TORCHJD_VERSION, method + ("-gram" if gram else ""), kwargs, results,
                  "four calls of one MoDoWeighting (lambda carries over); " +
                  ("on A = G G^T; direction = weights @ G" if gram else
                   "call k on A = (diag(rowScales) G)(diag(secondRowScales) G)^T (float64 products); weights: its output"))

    # CR-MOGM: TorchJD's EMA of another weighting's weights (UPGrad, TorchJD's defaults) over four
    # calls on rescaled rows.
    for alpha in [0.9, 0.5]:
        results = []
        for c in cases:
            agg = A.GramianWeightedAggregator(A.CRMOGMWeighting(A.UPGradWeighting(), alpha=alpha))
            g = torch.tensor(c["gradients"])
            steps = []
            for scales in step_scales(c, 4):
                j = torch.tensor(scales).unsqueeze(1) * g
                d = agg(j).detach().numpy()
                steps.append({"rowScales": scales, "direction": d,
                              "weights": agg.gramian_weighting._lambda.detach().clone().numpy()})
            results.append({"case": c["name"], "steps": steps})
        write("torchjd", TORCHJD_VERSION, f"crmogm-upgrad-alpha{alpha:g}", {"alpha": alpha, "weighting": "UPGradWeighting()"}, results,
              "four calls of one GramianWeightedAggregator(CRMOGMWeighting(UPGradWeighting())); call k aggregates "
              "diag(rowScales) G; weights: the smoothed lambda after the call")


# ----------------------------------------------------------------------------------------------
# LibMTL's GitHub tree (DB-MTL, MoCo): methods LibMTL added after its last PyPI release, 1.1.5
# ----------------------------------------------------------------------------------------------

LIBMTL_GIT_COMMIT = "4336804847eaa5e0b924b743d76beec7ac3fdc97"


def load_libmtl_git(root):
    """The weighting modules of a LibMTL checkout at `root`, loaded beside the installed 1.1.5:
    its own abstract_weighting is swapped in while each module is executed."""
    import importlib.util as iu
    directory = os.path.join(root, "LibMTL", "weighting")

    def load(name):
        spec = iu.spec_from_file_location(f"libmtl_git.{name}", os.path.join(directory, name + ".py"))
        module = iu.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    abstract = load("abstract_weighting")
    saved = sys.modules.get("LibMTL.weighting.abstract_weighting")
    sys.modules["LibMTL.weighting.abstract_weighting"] = abstract
    try:
        return {"DB_MTL": load("DB_MTL").DB_MTL, "MoCo": load("MoCo").MoCo}
    finally:
        if saved is None:
            del sys.modules["LibMTL.weighting.abstract_weighting"]
        else:
            sys.modules["LibMTL.weighting.abstract_weighting"] = saved


def step_loss_scales(case, steps):
    """Per-step loss scales (float32 values): step k's losses are scales[k] * L."""
    rng = np.random.default_rng(case["seed"] + 17)
    return [np.ones(case["tasks"])] + [f32(rng.uniform(0.5, 1.5, size=case["tasks"])) for _ in range(steps - 1)]


def libmtl_git_all(cases, root):
    classes = load_libmtl_git(root)
    for method, cls, kwargs in [
            ("db-mtl", classes["DB_MTL"], {"DB_beta": 0.9, "DB_beta_sigma": 0.0}),
            ("db-mtl-decay", classes["DB_MTL"], {"DB_beta": 0.7, "DB_beta_sigma": 0.5}),
            ("moco", classes["MoCo"], {"MoCo_beta": 0.5, "MoCo_beta_sigma": 0.5, "MoCo_gamma": 0.1,
                                       "MoCo_gamma_sigma": 0.5, "MoCo_rho": 0.0}),
            ("moco-rho", classes["MoCo"], {"MoCo_beta": 0.3, "MoCo_beta_sigma": 0.0, "MoCo_gamma": 0.5,
                                           "MoCo_gamma_sigma": 0.0, "MoCo_rho": 0.2})]:
        results = []
        for c in cases:
            s = Surrogate(c)
            w = libmtl_weighting(cls, c["tasks"], [s.theta])
            g0, l0 = s.g.clone(), s.l.clone()
            steps = []
            for row_scales, loss_scales in zip(step_scales(c, 4), step_loss_scales(c, 4)):
                s.g = torch.tensor(row_scales).unsqueeze(1) * g0
                s.l = torch.tensor(loss_scales) * l0
                s.theta.grad = None
                out = w.backward(s.losses(), **kwargs)
                step = {"rowScales": row_scales, "lossScales": loss_scales, "direction": s.theta.grad.detach().clone().numpy()}
                if method.startswith("moco"):
                    step["weights"] = np.asarray(out, dtype=np.float64)
                steps.append(step)
            results.append({"case": c["name"], "steps": steps})
        write("libmtl-git", LIBMTL_GIT_COMMIT[:12], method, kwargs, results,
              f"LibMTL's GitHub tree at {LIBMTL_GIT_COMMIT} (not in the 1.1.5 release): four backward calls of one "
              "weighting; call k has gradients diag(rowScales) G and losses lossScales * L (float64 products)")


def preference(t):
    p = np.arange(t, 0, -1, dtype=np.float64)
    return p / p.sum()


def main():
    cases = build_cases()
    rep_cases = build_representation_cases()
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(HERE, "inputs.json"), "w") as f:
        json.dump({"generator": "Tests/Fixtures/peers/generate.py",
                   "cases": [tolist(c, inputs=True) for c in cases],
                   "representationCases": [tolist(c, inputs=True) for c in rep_cases]},
                  f, separators=(",", ":"))
        f.write("\n")
    libmtl_all(cases, rep_cases)
    torchjd_all(cases, rep_cases)
    torchjd_added(cases)
    root = os.environ.get("LIBMTL_GIT")
    if root:
        libmtl_git_all(cases, root)
    else:
        print("LIBMTL_GIT not set: the libmtl-git vectors (DB-MTL, MoCo) are left as they are")


if __name__ == "__main__":
    sys.exit(main())
