"""PyTorch peer of `tandem-bench models`: the same networks in plain torch.nn, one training step
(forward, sum of task losses, backward, SGD update) per repetition, one JSON line out.

    python models.py multilenet batch=256 height=36 width=36
    python models.py splitvgg split=3 batch=8 height=64 width=96

The layer lists mirror Sources/Models exactly (names, order, shapes); the parameter count is
printed by both sides and compared by compare.py. Losses follow Sources/Core/Ops/Losses.swift.
"""

import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from timing import Options, fail, measure, report, setup_threads

# ---------------------------------------------------------------------------------------------
# Task losses (Tandem's TaskKind.loss).


def cross_entropy(logits, labels):
    return F.cross_entropy(logits, labels, ignore_index=-1)


def non_zero_mask(target):
    """1 where any channel is non-zero, N×1×…."""
    return (target != 0).any(dim=1, keepdim=True).to(target.dtype)


def masked_l1(prediction, target):
    mask = non_zero_mask(target)
    weighted = (prediction - target).abs() * mask
    valid = mask.sum() * weighted.numel() / mask.numel()
    return weighted.sum() / valid.clamp(min=1)


def cosine_loss(prediction, target, epsilon=1e-8):
    mask = non_zero_mask(target)
    length = torch.sqrt((prediction * prediction).sum(dim=1, keepdim=True) + epsilon)
    cosine = ((prediction / length) * target).sum(dim=1, keepdim=True) * mask
    return 1 - cosine.sum() / mask.sum().clamp(min=1)


LOSSES = {"classification": cross_entropy, "segmentation": cross_entropy, "depth": masked_l1,
          "normals": cosine_loss}


def random_target(kind, classes, batch, height, width, generator):
    """Same distributions as benchmarks/Swift/ModelBenchmarks.swift (≈10 % missing / ignored)."""
    if kind == "classification":
        return torch.randint(0, classes, (batch,), generator=generator)
    if kind == "segmentation":
        labels = torch.randint(0, classes, (batch, height, width), generator=generator)
        labels[torch.rand(batch, height, width, generator=generator) < 0.1] = -1
        return labels
    if kind == "depth":
        depth = 0.5 + 4 * torch.rand(batch, 1, height, width, generator=generator)
        depth[torch.rand(batch, 1, height, width, generator=generator) < 0.1] = 0
        return depth
    if kind == "normals":
        normals = torch.randn(batch, 3, height, width, generator=generator)
        normals = normals / normals.norm(dim=1, keepdim=True).clamp(min=1e-6)
        missing = torch.rand(batch, 1, height, width, generator=generator) < 0.1
        return normals.masked_fill(missing, 0)
    raise ValueError(kind)


# ---------------------------------------------------------------------------------------------
# Models: filled in to mirror Sources/Models.

MODELS = {}


def main(argv):
    setup_threads()
    options = Options(argv)
    if not options.positional:
        fail("models: name a model: " + ", ".join(sorted(MODELS)))
    name = options.positional[0]
    if name not in MODELS:
        fail(f"models: unknown model {name}; use " + ", ".join(sorted(MODELS)))
    torch.manual_seed(options.int("seed", 1))
    generator = torch.Generator().manual_seed(options.int("seed", 1))
    model, tasks, input_shape = MODELS[name](options)
    batch, _, height, width = input_shape
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=options.float("lr", 0.01))
    x = torch.randn(*input_shape, generator=generator)
    targets = {task: random_target(kind, classes, batch, height, width, generator)
               for task, kind, classes in tasks}
    last_loss = [float("nan")]

    def step():
        optimizer.zero_grad(set_to_none=True)
        outputs = model(x)
        total = sum(LOSSES[kind](outputs[task], targets[task]) for task, kind, _ in tasks)
        total.backward()
        optimizer.step()
        last_loss[0] = total.item()

    samples = measure(options.policy(), step)
    parameters = sum(p.numel() for p in model.parameters())
    report({"model": name, "shape": "x".join(map(str, input_shape)), "tasks": ",".join(t for t, _, _ in tasks),
            "parameters": parameters, "parameter_tensors": len(list(model.parameters())),
            "last_loss": last_loss[0]}, samples)


if __name__ == "__main__":
    main(sys.argv[1:])
