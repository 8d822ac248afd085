"""LibMTL peer of `tandem-bench strategy`: one training step with a LibMTL 1.1.5 weighting on the
same PyTorch models as peer/models.py, one JSON line out.

    python strategies.py multilenet weighting=PCGrad
    python strategies.py splitvgg weighting=MGDA rep_grad=1 args='{"mgda_gn": "none"}'
    options: batch= height= width= split=3 lr=0.01, and the timing words of timing.py

LibMTL's Trainer is hard-wired to CUDA, so this drives its pieces directly, the way its
`Trainer.train` does on a GPU: LibMTL's own `HPS` architecture (encoder = the model's shared part,
decoders = its heads; with `rep_grad=1` its `_prepare_rep` detaches the representation per task)
combined with the weighting class into one module exactly as `Trainer._prepare_model` does, one
`torch.optim.SGD` over all its parameters (the weighting's own, e.g. UW's `loss_scale`, included),
and per step: forward, the task losses written into a `torch.zeros(task_num)` tensor (as
`Trainer._compute_loss`), `optimizer.zero_grad()`, `model.backward(losses, **weight_args)`,
`optimizer.step()`. The performance meter (bookkeeping only) is left out. The weighting arguments
default to LibMTL's `config.py` defaults (`args` overrides them as JSON).

Two adaptations, both needed to run LibMTL 1.1.5 on a current stack, neither changing its maths:
* its package `__init__` imports `torchvision.models.utils` (removed years ago): the package is
  registered without running that `__init__`, and its architecture and weighting modules are
  imported unchanged (as Tests/Fixtures/peers/generate.py does);
* `zero_grad_share_params` zeroes the shared gradients in place: LibMTL calls `encoder.zero_grad()`,
  which zeroed in place in the torch 1.x it was written for, while torch >= 2 sets them to None,
  which LibMTL's `_reset_grad` (`param.grad.data = ...`) cannot handle.

Epoch-driven weightings get `epoch = 2` and a fixed positive `train_loss_buffer`, so DWA and
GradNorm run their real update (at epoch 0 LibMTL falls back to equal weights).
"""

import importlib.util
import json
import random
import sys
import types

import numpy as np
import torch
import torch.nn as nn

from models import LOSSES, make_multilenet, make_splitvgg, random_target
from timing import Options, fail, measure, report, setup_threads

_spec = importlib.util.find_spec("LibMTL")
if _spec is None:
    fail("strategies: LibMTL is not installed in this Python (see Tests/Fixtures/peers/generate.py for the pip commands)")
_package = types.ModuleType("LibMTL")
_package.__path__ = list(_spec.submodule_search_locations)
sys.modules["LibMTL"] = _package

from importlib.metadata import version as _version  # noqa: E402

from LibMTL.architecture.HPS import HPS  # noqa: E402
import LibMTL.weighting as W  # noqa: E402

WEIGHTINGS = {name: getattr(W, name) for name in W.__all__ if name != "AbsWeighting"}

# LibMTL's config.py defaults for each weighting's `weight_args`.
DEFAULT_ARGS = {"DWA": {"T": 2.0}, "GradNorm": {"alpha": 1.5}, "MGDA": {"mgda_gn": "none"},
                "GradVac": {"beta": 0.5}, "GradDrop": {"leak": 0.0}, "CAGrad": {"calpha": 0.5, "rescale": 1},
                "RLW": {"dist": "Normal"}}


def split_model(name, options):
    """The model of peer/models.py as LibMTL's encoder and decoders."""
    if name == "multilenet":
        model, tasks, shape = make_multilenet(options)
        encoder = model.shared
    elif name == "splitvgg":
        model, tasks, shape = make_splitvgg(options)
        encoder = nn.Sequential(model.encoder, model.shared_decoder)
    else:
        fail(f"strategies: unknown model {name}; use multilenet or splitvgg")
    return encoder, model.heads, tasks, shape


def libmtl_model(weighting, task_names, encoder, decoders, rep_grad):
    """LibMTL's architecture and weighting in one module, as `Trainer._prepare_model` makes it."""

    class MTLmodel(HPS, weighting):
        def __init__(self):
            super().__init__(task_names, lambda: encoder, decoders, rep_grad, False, torch.device("cpu"))
            self.init_param()

        def zero_grad_share_params(self):
            # torch 1.x's zero_grad() (what LibMTL 1.1.5 was written for): in place, not None.
            self.encoder.zero_grad(set_to_none=False)

    return MTLmodel()


def main(argv):
    options = Options(argv)
    if not options.positional:
        fail("strategies: name a model: multilenet or splitvgg")
    weighting_name = options.str("weighting", "EW")
    if weighting_name not in WEIGHTINGS:
        fail(f"strategies: LibMTL {_version('LibMTL')} has no weighting {weighting_name}; it has {', '.join(sorted(WEIGHTINGS))}")
    rep_grad = options.int("rep_grad", 0) != 0
    weight_args = dict(DEFAULT_ARGS.get(weighting_name, {}))
    weight_args.update(json.loads(options.str("args", "{}")))
    setup_threads()  # baseline RSS after torch, LibMTL and scipy are imported

    seed = options.int("seed", 1)
    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    generator = torch.Generator().manual_seed(seed)
    encoder, decoders, tasks, input_shape = split_model(options.positional[0], options)
    batch, _, height, width = input_shape
    task_names = [task for task, _, _ in tasks]
    model = libmtl_model(WEIGHTINGS[weighting_name], task_names, encoder, decoders, rep_grad)
    model.train()
    model.epoch = 2
    model.train_loss_buffer = np.array([[1.0 + 0.1 * t, 0.9 + 0.05 * t, 0.8] for t in range(len(tasks))])
    optimizer = torch.optim.SGD(model.parameters(), lr=options.float("lr", 0.01))
    x = torch.randn(*input_shape, generator=generator)
    targets = {task: random_target(kind, classes, batch, height, width, generator) for task, kind, classes in tasks}
    last = {}

    def step():
        predictions = model(x)
        losses = torch.zeros(len(tasks))
        for tn, (task, kind, _) in enumerate(tasks):
            losses[tn] = LOSSES[kind](predictions[task], targets[task])
        optimizer.zero_grad()
        weights = model.backward(losses, **weight_args)
        optimizer.step()
        last["losses"] = {task: float(losses[tn].detach()) for tn, task in enumerate(task_names)}
        last["weights"] = None if weights is None else [float(w) for w in np.asarray(weights).ravel()]

    samples = measure(options.policy(), step)
    own = sum(p.numel() for p in encoder.parameters()) + sum(p.numel() for p in decoders.parameters())
    model_name = options.positional[0] if options.positional[0] != "splitvgg" else f"splitvgg-{options.int('split', 3)}"
    report({"benchmark": "strategy", "weighting": weighting_name, "rep_grad": rep_grad,
            "weight_args": weight_args, "libmtl_version": _version("LibMTL"), "model": model_name,
            "shape": "x".join(map(str, input_shape)), "tasks": ",".join(task_names), "parameters": own,
            "weighting_parameters": sum(p.numel() for p in model.parameters()) - own,
            "last_losses": last.get("losses"), "last_weights": last.get("weights")}, samples)


if __name__ == "__main__":
    main(sys.argv[1:])
