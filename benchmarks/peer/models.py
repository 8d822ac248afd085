"""PyTorch peer of `tandem-bench models`: the same networks in plain torch.nn, one training step
(forward, sum of task losses, backward, SGD update) per repetition, one JSON line out.

    python models.py multilenet batch=256 height=36 width=36
    python models.py splitvgg split=3 batch=8 height=64 width=96

The layer lists mirror Sources/Models exactly (names, order, shapes); the parameter count is
printed by both sides and compared by compare.py. Losses follow Sources/Core/Ops/Losses.swift.
"""

import math
import os
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
# MultiLeNet (Sources/Models/MultiLeNet.swift).


class MultiLeNet(nn.Module):
    """Shared conv 1→10 k5, max-pool 2, ReLU, conv 10→20 k5, max-pool 2, ReLU, linear → 50, ReLU;
    per head linear 50→50, ReLU, linear 50→classes."""

    def __init__(self, side, heads):
        super().__init__()
        reduced = ((side - 4) // 2 - 4) // 2
        self.shared = nn.Sequential(
            nn.Conv2d(1, 10, 5), nn.MaxPool2d(2), nn.ReLU(),
            nn.Conv2d(10, 20, 5), nn.MaxPool2d(2), nn.ReLU(),
            nn.Flatten(), nn.Linear(20 * reduced * reduced, 50), nn.ReLU())
        self.heads = nn.ModuleDict({task: nn.Sequential(nn.Linear(50, 50), nn.ReLU(), nn.Linear(50, classes))
                                    for task, classes in heads})

    def forward(self, x):
        z = self.shared(x)
        return {task: head(z) for task, head in self.heads.items()}


def make_multilenet(options):
    side = options.int("height", 36)
    if options.int("width", side) != side:
        fail("models: MultiLeNet needs square inputs")
    tasks = [("left", "classification", 10), ("right", "classification", 10)]
    model = MultiLeNet(side, [(task, classes) for task, _, classes in tasks])
    return model, tasks, (options.int("batch", 256), 1, side, side)


# ---------------------------------------------------------------------------------------------
# SplitVGG-x (Sources/Models/SplitVGG.swift, ConvBlock.swift, DenseSplitModel.swift).


def conv_bn_relu(cin, cout, upsampling=False):
    """Bias-free conv3×3 (or stride-2 transposed conv3×3 that doubles H and W) → BN → ReLU."""
    if upsampling:
        conv = nn.ConvTranspose2d(cin, cout, 3, stride=2, padding=1, output_padding=1, bias=False)
    else:
        conv = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
    return nn.Sequential(conv, nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


ENCODER_BLOCKS = [(2, 32), (2, 64), (3, 128), (3, 256), (3, 256)]  # (layers, channels)
DECODER_BLOCKS = [(3, 256, 256), (3, 256, 128), (3, 128, 64), (2, 64, 32), (2, 32, 32)]  # (layers, working, output)


def decoder_block(specification, in_channels):
    layers, working, output = specification
    modules = []
    for layer in range(layers):
        source = in_channels if layer == 0 else working
        target = output if layer == layers - 1 else working
        modules.append(conv_bn_relu(source, target, upsampling=layer == 0))
    return nn.Sequential(*modules)


class SplitVGG(nn.Module):
    """VGG-16-topology encoder at half width (each block then 2×2 max-pool), five up-sampling
    decoder blocks; the last `split` decoder blocks and a 1×1 prediction conv are per task.
    `blocks` B < 5 keeps the first B encoder and the last B decoder blocks, `scale` multiplies every
    channel count (rounded half away from zero, at least 1), as Tandem's `blocks` and `width`."""

    def __init__(self, split, heads, in_channels=3, blocks=5, scale=1.0):
        super().__init__()
        scaled = lambda channels: max(1, int(math.floor(channels * scale + 0.5)))
        encoder_blocks = [(layers, scaled(width)) for layers, width in ENCODER_BLOCKS[:blocks]]
        decoder_blocks = [(layers, scaled(working), scaled(output)) for layers, working, output in DECODER_BLOCKS[5 - blocks:]]
        encoder, channels = [], in_channels
        for layers, width in encoder_blocks:
            for _ in range(layers):
                encoder.append(conv_bn_relu(channels, width))
                channels = width
            encoder.append(nn.MaxPool2d(2))
        self.encoder = nn.Sequential(*encoder)
        inputs = [channels] + [output for _, _, output in decoder_blocks[:-1]]
        block = lambda i: decoder_block(decoder_blocks[i], inputs[i])
        self.shared_decoder = nn.Sequential(*[block(i) for i in range(blocks - split)])
        self.heads = nn.ModuleDict({
            task: nn.Sequential(*[block(i) for i in range(blocks - split, blocks)],
                                nn.Conv2d(decoder_blocks[-1][2], out_channels, 1))
            for task, out_channels in heads})

    def forward(self, x):
        z = self.shared_decoder(self.encoder(x))
        return {task: head(z) for task, head in self.heads.items()}


def make_splitvgg(options):
    tasks = [("segmentation", "segmentation", 13), ("depth", "depth", 1), ("normals", "normals", 3)]
    model = SplitVGG(options.int("split", 3), [(task, channels) for task, _, channels in tasks],
                     blocks=options.int("blocks", 5), scale=options.float("scale", 1.0))
    shape = (options.int("batch", 8), 3, options.int("height", 64), options.int("width", 96))
    return model, tasks, shape


def make_segnet(options, attention):
    """The MTAN code's SegNet / SegNet-MTAN, as ported (and checked against the reference) by
    Tests/Fixtures/models/generate.py; the heads' outputs as Tandem's (normals unit-normalised)."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "Tests", "Fixtures", "models"))
    import generate  # noqa: E402
    inner = generate.SegNetMtanPort() if attention else generate.SegNetPort()
    wrapped = generate.Wrapped(inner)

    class Heads(nn.Module):
        def __init__(self):
            super().__init__()
            self.model = wrapped

        def forward(self, x):
            segmentation, depth, normals = self.model(x)
            return {"segmentation": segmentation, "depth": depth, "normals": normals}

    tasks = [("segmentation", "segmentation", 13), ("depth", "depth", 1), ("normals", "normals", 3)]
    shape = (options.int("batch", 2), 3, options.int("height", 288), options.int("width", 384))
    return Heads(), tasks, shape


MODELS = {"multilenet": make_multilenet, "splitvgg": make_splitvgg,
          "segnet": lambda options: make_segnet(options, attention=False),
          "segnet-mtan": lambda options: make_segnet(options, attention=True)}


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
    model_name = name if name != "splitvgg" else f"splitvgg-{options.int('split', 3)}"
    report({"model": model_name, "shape": "x".join(map(str, input_shape)), "tasks": ",".join(t for t, _, _ in tasks),
            "parameters": parameters, "parameter_tensors": len(list(model.parameters())),
            "last_loss": last_loss[0]}, samples)


if __name__ == "__main__":
    main(sys.argv[1:])
