#!/usr/bin/env python3
"""Reference vectors for Tandem's SegNet and SegNet-MTAN (Tests/ModelsTests/SegNetReferenceTests.swift).

Set-up (the venv is git-ignored; the same one as Tests/Fixtures/peers/generate.py):

    python3 -m venv benchmarks/.venv
    benchmarks/.venv/bin/pip install "torch==2.13.0+cpu" safetensors numpy
    benchmarks/.venv/bin/python Tests/Fixtures/models/generate.py [--reference PATH/models.py]

The PyTorch models below are this project's own port of the MTAN repository's SegNet and
SegNet-MTAN (as Nash-MTL's and FAMO's experiments/nyuv2/models.py build them; the two files are
identical), with the module paths of the reference so that state-dict names agree, generalised to
a channel multiplier `width` and to T tasks. With `--reference` pointing at that models.py, the
script first checks the port against it at width 1: the same state-dict names and shapes, and the
same outputs at the same weights. It always checks the parameter counts at the paper's
configuration (3x288x384 input; 13, 1 and 3 output channels).

Writes, for MODEL in segnet, segnet-mtan, at width 1/32 on a 4x3x32x32 input:

  MODEL.weights.safetensors  the state dict (written by the Python `safetensors` package: float32
                             parameters and running statistics drawn at random, int64
                             num_batches_tracked), reference names
  MODEL.vectors.safetensors  `input`; per task t (seg, depth, normals) the training-mode outputs
                             `train.t` (segmentation: logits before the log-softmax), the
                             evaluation-mode outputs `eval.t`; `grad.input` and `grad.NAME` for every
                             parameter: gradients of L = sum_t <c_t, train.t> with the cotangent
                             c_t[i] = sin(0.37 i + t) (flat index i; computed, not stored); and
                             `running.NAME` for every running statistic after that forward (PyTorch's
                             momentum 0.1, one update per application of a layer); its metadata says
                             how far PyTorch's own float32 runs are from the float64 gradients (the
                             Swift test's yardsticks), the largest over three of PyTorch's convolution
                             paths (oneDNN on N×C×H×W, oneDNN channels-last, and without oneDNN):
                             `torch_float32_worst` on the worst parameter tensor,
                             `torch_float32_overall` on all parameter gradients as one vector,
                             `torch_float32_input` on the input gradient
  counts.json                parameter counts at the paper's configuration, per group

Everything is computed in float64 from the float32 weights and input, then stored as float32.
"""

import argparse
import copy
import importlib.util
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
TASK_CHANNELS = [13, 1, 3]
TASKS = ["seg", "depth", "normals"]


def conv_unit(cin, cout):
    """conv3x3 (bias) -> BN -> ReLU: the reference's conv_layer."""
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU())


def attention_unit(cin, cmid, cout):
    """conv1x1 -> BN -> ReLU -> conv1x1 -> BN -> sigmoid: the reference's att_layer."""
    return nn.Sequential(nn.Conv2d(cin, cmid, 1), nn.BatchNorm2d(cmid), nn.ReLU(),
                         nn.Conv2d(cmid, cout, 1), nn.BatchNorm2d(cout), nn.Sigmoid())


def prediction_unit(cin, cout):
    """conv3x3 -> conv1x1, both with bias: the reference's conv_layer(pred=True)."""
    return nn.Sequential(nn.Conv2d(cin, cin, 3, padding=1), nn.Conv2d(cin, cout, 1))


def widths(width):
    return [max(1, int(round(c * width))) for c in [64, 128, 256, 512, 512]]


class Trunk(nn.Module):
    """The shared encoder-decoder: module names as in the reference."""

    def build_trunk(self, f):
        self.encoder_block = nn.ModuleList([conv_unit(3 if i == 0 else f[i - 1], f[i]) for i in range(5)])
        self.decoder_block = nn.ModuleList([conv_unit(f[0], f[0])] + [conv_unit(f[i], f[i - 1]) for i in range(1, 5)])

        def repeated(c, level):
            return conv_unit(c, c) if level < 2 else nn.Sequential(conv_unit(c, c), conv_unit(c, c))
        self.conv_block_enc = nn.ModuleList([repeated(f[i], i) for i in range(5)])
        self.conv_block_dec = nn.ModuleList([repeated(f[max(0, i - 1)], i) for i in range(5)])

    def trunk(self, x):
        first, second, up, dec, indices = [], [], [], [], []
        for i in range(5):
            a = self.encoder_block[i](x)
            b = self.conv_block_enc[i](a)
            x, idx = F.max_pool2d(b, 2, 2, return_indices=True)
            first.append(a); second.append(b); indices.append(idx)
        for j in range(5):
            u = F.max_unpool2d(x, indices[4 - j], 2, 2)
            x = self.conv_block_dec[4 - j](self.decoder_block[4 - j](u))
            up.append(u); dec.append(x)
        return first, second, up, dec


class SegNetPort(Trunk):
    def __init__(self, width=1.0, channels=TASK_CHANNELS):
        super().__init__()
        f = widths(width)
        self.build_trunk(f)
        for t, c in enumerate(channels):
            setattr(self, f"pred_task{t + 1}", prediction_unit(f[0], c))
        self.tasks = len(channels)

    def forward(self, x):
        out = self.trunk(x)[3][-1]
        return [getattr(self, f"pred_task{t + 1}")(out) for t in range(self.tasks)]


class SegNetMtanPort(Trunk):
    def __init__(self, width=1.0, channels=TASK_CHANNELS):
        super().__init__()
        f = widths(width)
        self.build_trunk(f)
        T = len(channels)
        self.encoder_att = nn.ModuleList([nn.ModuleList(
            [attention_unit(f[0] if j == 0 else 2 * f[j], f[j], f[j]) for j in range(5)]) for _ in range(T)])
        self.decoder_att = nn.ModuleList([nn.ModuleList(
            [attention_unit(2 * f[0] if j == 0 else f[j] + f[j - 1], f[max(0, j - 1)], f[max(0, j - 1)]) for j in range(5)])
            for _ in range(T)])
        self.encoder_block_att = nn.ModuleList([conv_unit(f[j], f[min(j + 1, 4)]) for j in range(5)])
        self.decoder_block_att = nn.ModuleList(
            [conv_unit(f[j], f[j] if j in (0, 4) else f[j - 1]) for j in range(5)])
        for t, c in enumerate(channels):
            setattr(self, f"pred_task{t + 1}", prediction_unit(f[0], c))
        self.tasks = T

    def forward(self, x):
        first, second, up, dec = self.trunk(x)
        outputs = []
        for t in range(self.tasks):
            a = None
            for j in range(5):
                m = self.encoder_att[t][j](first[0] if j == 0 else torch.cat((first[j], a), dim=1))
                a = F.max_pool2d(self.encoder_block_att[j](m * second[j]), 2, 2)
            for j in range(5):
                u = F.interpolate(a, scale_factor=2, mode="bilinear", align_corners=True)
                u = self.decoder_block_att[4 - j](u)
                a = self.decoder_att[t][4 - j](torch.cat((up[j], u), dim=1)) * dec[j]
            outputs.append(getattr(self, f"pred_task{t + 1}")(a))
        return outputs


class Wrapped(nn.Module):
    """`segnet.` prefix, as the reference's SegNet / SegNetMtan wrappers have it."""

    def __init__(self, inner):
        super().__init__()
        self.segnet = inner

    def forward(self, x):
        outputs = self.segnet(x)
        normals = outputs[2]
        return [outputs[0], outputs[1], normals / torch.norm(normals, p=2, dim=1, keepdim=True)]


def counts(model):
    groups = {}
    for name, p in model.named_parameters():
        key = name.split(".")[1]
        groups[key] = groups.get(key, 0) + p.numel()
    total = sum(groups.values())
    heads = sum(v for k, v in groups.items() if k.startswith("pred"))
    attention = groups.get("encoder_att", 0) + groups.get("decoder_att", 0)
    return {"total": total, "shared_reference": total - heads, "shared_per_task_attention": total - heads - attention,
            "groups": groups}


def check_against_reference(path):
    spec = importlib.util.spec_from_file_location("reference_models", path)
    reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference)
    for ours, theirs in [(Wrapped(SegNetPort()), reference.SegNet()), (Wrapped(SegNetMtanPort()), reference.SegNetMtan())]:
        a, b = ours.state_dict(), theirs.state_dict()
        assert list(a.keys()) == list(b.keys()), "state-dict names differ"
        assert all(a[k].shape == b[k].shape for k in a), "shapes differ"
        ours.load_state_dict(b)
        ours.double(); theirs.double()
        x = torch.randn(2, 3, 32, 64, dtype=torch.float64)
        mine = ours(x)
        theirs_out = theirs(x)
        # The reference ends segmentation with log_softmax; compare on that.
        assert torch.allclose(F.log_softmax(mine[0], dim=1), theirs_out[0], atol=1e-10)
        for m, t in zip(mine[1:], theirs_out[1:]):
            assert torch.allclose(m, t, atol=1e-10)
        print(f"{type(theirs).__name__}: the port equals the reference (names, shapes, outputs)")


def randomise(model, generator):
    """Float32 weights: Xavier-normal convolutions, biases and BN affine and running statistics drawn
    away from their trivial initial values so that every term is exercised."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Conv2d):
                fan = module.weight[0].numel()
                std = math.sqrt(2.0 / (fan + module.out_channels * module.kernel_size[0] * module.kernel_size[1]))
                module.weight.copy_(torch.randn(module.weight.shape, generator=generator) * std)
                module.bias.copy_(torch.randn(module.bias.shape, generator=generator) * 0.1)
            elif isinstance(module, nn.BatchNorm2d):
                module.weight.copy_(0.5 + torch.rand(module.weight.shape, generator=generator))
                module.bias.copy_(torch.randn(module.bias.shape, generator=generator) * 0.1)
                module.running_mean.copy_(torch.randn(module.running_mean.shape, generator=generator) * 0.1)
                module.running_var.copy_(0.5 + torch.rand(module.running_var.shape, generator=generator))
                module.num_batches_tracked.fill_(3)


def cotangent(shape, task):
    n = int(np.prod(shape))
    return torch.sin(0.37 * torch.arange(n, dtype=torch.float64) + task).reshape(shape)


def write_vectors(name, model, width, generator):
    x32 = torch.randn(4, 3, 32, 32, generator=generator)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(HERE, f"{name}.weights.safetensors"),
              metadata={"model": name, "width": repr(width), "generator": "Tests/Fixtures/models/generate.py",
                        "torch": torch.__version__})
    evaluation = copy.deepcopy(model).double().eval()
    training = copy.deepcopy(model).double().train()
    x = x32.double().requires_grad_(True)
    outputs = training(x)
    loss = sum((cotangent(o.shape, t) * o).sum() for t, o in enumerate(outputs))
    parameters = dict(training.named_parameters())
    gradients = torch.autograd.grad(loss, [x] + list(parameters.values()))
    vectors = {"input": x32}
    for t, o in enumerate(outputs):
        vectors[f"train.{TASKS[t]}"] = o.detach().float()
    vectors["grad.input"] = gradients[0].float()
    for key, g in zip(parameters, gradients[1:]):
        vectors[f"grad.{key}"] = g.float()
    for key, buffer in training.state_dict().items():
        if key.endswith("running_mean") or key.endswith("running_var"):
            vectors[f"running.{key}"] = buffer.float()
    with torch.no_grad():
        for t, o in enumerate(evaluation(x32.double())):
            vectors[f"eval.{TASKS[t]}"] = o.float()
    worst, overall, input_error = float32_errors(model, x32, gradients[0], {k: g for k, g in zip(parameters, gradients[1:])})
    save_file({k: v.contiguous() for k, v in vectors.items()}, os.path.join(HERE, f"{name}.vectors.safetensors"),
              metadata={"model": name, "width": repr(width), "loss": "sum_t <sin(0.37 i + t), train.t>",
                        "torch_float32_worst": f"{worst:.6e}", "torch_float32_overall": f"{overall:.6e}",
                        "torch_float32_input": f"{input_error:.6e}"})
    print(f"{name}: {sum(p.numel() for p in parameters.values())} parameters at width {width}; PyTorch float32 is off "
          f"the float64 gradients by up to {worst:.2e} on its worst parameter tensor, {overall:.2e} on all parameters, "
          f"{input_error:.2e} on the input")


def float32_errors(model, x32, exact_input, exact):
    """How far PyTorch's own float32 runs are from the float64 gradients, the largest over its
    convolution paths: rounded in another order, the ~30 batch norms (4 values per channel at the
    bottleneck) amplify float32 rounding differently, so one path alone understates the spread
    (2-5x here). Per path, float32_path_errors' three measures."""
    paths = []
    for channels_last, onednn in [(False, True), (True, True), (False, False)]:
        with torch.backends.mkldnn.flags(enabled=onednn):
            single, x = copy.deepcopy(model).float(), x32.clone()
            if channels_last:
                single, x = single.to(memory_format=torch.channels_last), x.to(memory_format=torch.channels_last)
            paths.append(float32_path_errors(single, x, exact_input, exact))
    return tuple(max(path[k] for path in paths) for k in range(3))


def float32_path_errors(single, x32, exact_input, exact):
    """How far one float32 run is from the float64 gradients (the measures the Swift test uses): on
    its worst parameter tensor ||g32 - g64|| / max(||g64||, 1e-3 max_k ||g64_k||), on all parameter
    gradients as one vector, and on the input gradient (both ||g32 - g64|| / ||g64||)."""
    single.train()
    x = x32.requires_grad_(True)
    outputs = single(x)
    loss = sum((cotangent(o.shape, t).float() * o).sum() for t, o in enumerate(outputs))
    parameters = dict(single.named_parameters())
    gradients = torch.autograd.grad(loss, [x] + list(parameters.values()))
    pairs = [(g.double(), exact[k]) for k, g in zip(parameters, gradients[1:])]
    scale = max(float(e.norm()) for _, e in pairs)
    worst = max(float((g - e).norm()) / max(float(e.norm()), 1e-3 * scale) for g, e in pairs)
    overall = math.sqrt(sum(float((g - e).norm()) ** 2 for g, e in pairs) / sum(float(e.norm()) ** 2 for _, e in pairs))
    input_error = float((gradients[0].double() - exact_input).norm()) / float(exact_input.norm())
    return worst, overall, input_error


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reference", help="the MTAN code's models.py (Nash-MTL or FAMO experiments/nyuv2/models.py)")
    arguments = parser.parse_args()
    torch.manual_seed(0)
    if arguments.reference:
        check_against_reference(arguments.reference)
    table = {"segnet": counts(Wrapped(SegNetPort())), "segnet-mtan": counts(Wrapped(SegNetMtanPort()))}
    assert table["segnet"]["total"] == 25_055_185 and table["segnet-mtan"]["total"] == 44_229_073, table
    assert table["segnet-mtan"]["shared_reference"] == 44_117_184, table
    with open(os.path.join(HERE, "counts.json"), "w") as out:
        json.dump({"configuration": "3x288x384 input; 13, 1, 3 output channels; width 1", "models": table}, out, indent=1, sort_keys=True)
        out.write("\n")
    width = 1 / 32
    for name, make in [("segnet", SegNetPort), ("segnet-mtan", SegNetMtanPort)]:
        model = Wrapped(make(width=width))
        generator = torch.Generator().manual_seed(20 if name == "segnet" else 21)
        randomise(model, generator)
        write_vectors(name, model, width, generator)


if __name__ == "__main__":
    main()
