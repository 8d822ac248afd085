#!/usr/bin/env python3
"""Reference vectors for Tandem's LibMTL architectures (Tests/ModelsTests/ArchitectureReferenceTests.swift).

Set-up (the venv is git-ignored; the same one as Tests/Fixtures/models/generate.py):

    python3 -m venv benchmarks/.venv
    benchmarks/.venv/bin/pip install "torch==2.13.0+cpu" LibMTL==1.1.5 safetensors numpy
    benchmarks/.venv/bin/python Tests/Fixtures/architectures/generate.py --repository PATH

The models are LibMTL's own classes: HPS, Cross_stitch, MTAN, MMoE, CGC, PLE and DSelect_k from the
installed LibMTL 1.1.5, and from the LibMTL repository checkout at PATH (`LibMTL/architecture/`,
loaded by file) LTB, which 1.1.5 does not ship, and the repository's Cross_stitch, whose units are
T x T (1.1.5's are one weight per source task). Their encoder is LibMTL's ResNet topology built
from LibMTL's own BasicBlock at a channel multiplier (`NarrowResNet`; at width 1 it has
`LibMTL.model.resnet18()`'s state-dict names and shapes, checked below); LibMTL's MTAN hard-codes
ResNet's 64...512 channels, so for it the generator scales that one list (`ScaledChannels`), the
rest of MTAN's code runs as it is. Each task's decoder averages the features globally and applies
a linear layer (`decoders.TASK.fc`), as Tandem's `resnet` model's heads.

Writes, for every ARCH at width 1/64, blocks [2, 2, 2, 2], tasks a, b, c with 3, 4, 2 outputs, on a
4x1x32x64 input (one channel and a small image keep the gates, linear in the flattened input, small):

  ARCH.weights.safetensors  the state dict (float32 parameters and running statistics drawn at
                            random; int64 num_batches_tracked), LibMTL's names
  ARCH.vectors.safetensors  `input`; per task t the training-mode outputs `train.t` and the
                            evaluation-mode outputs `eval.t`; `grad.input` and `grad.NAME` for
                            every parameter: gradients of L = sum_t <c_t, train.t> with c_t[i] =
                            sin(0.37 i + t) (flat index i); `running.NAME` for every running
                            statistic after that forward (momentum 0.1); metadata: the parameter
                            counts (`total`, `shared`: LibMTL's get_share_params()) and
                            `torch_float32_worst` (PyTorch's own float32 run against float64 on its
                            worst gradient tensor)
  gumbel.vectors.safetensors  LTB's hard Gumbel-softmax: logits, the Gumbel noise torch drew, tau,
                            `F.gumbel_softmax(hard=True)` and the gradient of <c_0, y> at the logits
  counts.json               LibMTL's resnet18 encoder parameter count at width 1

LTB runs at epoch 0 of 200 (its warm-up: every branch mixed with weight 1), so training and
evaluation are deterministic. Everything is computed in float64 from the float32 weights and input.
"""

import argparse
import copy
import importlib.util
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

# LibMTL 1.1.5's package __init__ imports its whole model zoo and trainer, and its resnet module a
# torchvision API removed years ago (`torchvision.models.utils.load_state_dict_from_url`, now
# `torch.hub`'s; only used for pretrained weights, which are not loaded here). Register the package
# without running that __init__ and give resnet.py the one function it imports.
import types  # noqa: E402

_spec = importlib.util.find_spec("LibMTL")
_package = types.ModuleType("LibMTL")
_package.__path__ = list(_spec.submodule_search_locations)
sys.modules["LibMTL"] = _package
for _name in ["torchvision", "torchvision.models", "torchvision.models.utils"]:
    sys.modules.setdefault(_name, types.ModuleType(_name))
sys.modules["torchvision.models.utils"].load_state_dict_from_url = torch.hub.load_state_dict_from_url

import LibMTL.architecture as architectures  # noqa: E402
mtan_module = sys.modules["LibMTL.architecture.MTAN"]  # (the package's attribute MTAN is the class)
from LibMTL.model.resnet import BasicBlock, resnet18  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TASKS = ["a", "b", "c"]
OUTPUTS = [3, 4, 2]
WIDTH = 1 / 64
BLOCKS = [2, 2, 2, 2]
INPUT = [1, 32, 64]


def channels(c):
    return max(1, round(c * WIDTH))


class NarrowResNet(nn.Module):
    """LibMTL's ResNet (torchvision's topology with LibMTL's BasicBlock, no classifier) with every
    channel count multiplied by WIDTH."""

    def __init__(self, width=WIDTH):
        super().__init__()
        scale = lambda c: max(1, round(c * width))
        self.inplanes = scale(64)
        self.conv1 = nn.Conv2d(INPUT[0], self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        for i, (planes, blocks) in enumerate(zip([64, 128, 256, 512], BLOCKS)):
            setattr(self, f"layer{i + 1}", self._make_layer(scale(planes), blocks, stride=1 if i == 0 else 2))
        self.feature_dim = scale(512)

    def _make_layer(self, planes, blocks, stride):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(nn.Conv2d(self.inplanes, planes, kernel_size=1, stride=stride, bias=False), nn.BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers += [BasicBlock(planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


class Decoder(nn.Module):
    """Global average pool -> linear (Tandem's `resnet` head)."""

    def __init__(self, features, outputs):
        super().__init__()
        self.fc = nn.Linear(features, outputs)

    def forward(self, x):
        return self.fc(x.mean(dim=(2, 3)))


class ScaledChannels:
    """numpy for LibMTL's MTAN module, except that its hard-coded ResNet channels [64, 128, 256, 512]
    come out multiplied by WIDTH."""

    def __getattr__(self, name):
        return getattr(np, name)

    def array(self, values, *rest, **keywords):
        if list(values) == [64, 128, 256, 512]:
            return np.array([channels(v) for v in values])
        return np.array(values, *rest, **keywords)


def load_repository_module(repository, name):
    spec = importlib.util.spec_from_file_location(f"repository_{name}", os.path.join(repository, "LibMTL", "architecture", f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


def build(arch_class, **kwargs):
    decoders = nn.ModuleDict({t: Decoder(channels(512), o) for t, o in zip(TASKS, OUTPUTS)})
    model = arch_class(TASKS, NarrowResNet, decoders, rep_grad=False, multi_input=False, device="cpu", **kwargs)
    if arch_class.__name__ == "LTB":
        model.epoch, model.epochs = 0, 200
    if arch_class.__name__ == "DSelect_k":
        # DSelect_k reads its expert codes with `np.array(<lists of '0'/'1' characters>).astype(bool)`:
        # NumPy before 2.0 parsed '0' as False, NumPy 2 casts strings by Python truthiness (numpy
        # PR #23898), so there every code is all ones and every expert gets the same weight. Set the
        # codes to the bits they spell, as LibMTL 1.1.5 reads them under NumPy 1.x.
        codes = [[bit == "1" for bit in np.binary_repr(v, width=model._num_binary)] for v in range(model.num_experts)]
        model._binary_codes = torch.tensor(codes).unsqueeze(0)
    return model


def randomise(model, generator):
    """Float32 weights away from their trivial initial values so that every term is exercised."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                fan_in = module.weight[0].numel()
                module.weight.copy_(torch.randn(module.weight.shape, generator=generator) * math.sqrt(1.0 / fan_in))
                if module.bias is not None:
                    module.bias.copy_(torch.randn(module.bias.shape, generator=generator) * 0.1)
            elif isinstance(module, nn.BatchNorm2d):
                module.weight.copy_(0.5 + torch.rand(module.weight.shape, generator=generator))
                module.bias.copy_(torch.randn(module.bias.shape, generator=generator) * 0.1)
                module.running_mean.copy_(torch.randn(module.running_mean.shape, generator=generator) * 0.1)
                module.running_var.copy_(0.5 + torch.rand(module.running_var.shape, generator=generator))
                module.num_batches_tracked.fill_(3)
        for name, parameter in model.named_parameters():
            if name.endswith("cross_unit") or name.endswith("alpha"):
                parameter.copy_(0.5 + torch.rand(parameter.shape, generator=generator))


def cotangent(shape, task):
    n = int(np.prod(shape))
    return torch.sin(0.37 * torch.arange(n, dtype=torch.float64) + task).reshape(shape)


def loss_of(outputs, dtype=torch.float64):
    return sum((cotangent(outputs[t].shape, i).to(dtype) * outputs[t]).sum() for i, t in enumerate(TASKS))


def write_vectors(name, model, generator):
    x32 = torch.randn([4] + INPUT, generator=generator)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(HERE, f"{name}.weights.safetensors"),
              metadata={"architecture": name, "width": repr(WIDTH), "generator": "Tests/Fixtures/architectures/generate.py",
                        "torch": torch.__version__})
    evaluation = copy.deepcopy(model).double().eval()
    training = copy.deepcopy(model).double().train()
    x = x32.double().requires_grad_(True)
    outputs = training(x)
    parameters = dict(training.named_parameters())
    gradients = torch.autograd.grad(loss_of(outputs), [x] + list(parameters.values()), allow_unused=True)
    vectors = {"input": x32, "grad.input": gradients[0].float()}
    for t in TASKS:
        vectors[f"train.{t}"] = outputs[t].detach().float()
    for key, g in zip(parameters, gradients[1:]):
        vectors[f"grad.{key}"] = (torch.zeros_like(parameters[key]) if g is None else g).float()
    for key, buffer in training.state_dict().items():
        if key.endswith("running_mean") or key.endswith("running_var"):
            vectors[f"running.{key}"] = buffer.float()
    with torch.no_grad():
        evaluated = evaluation(x32.double())
        for t in TASKS:
            vectors[f"eval.{t}"] = evaluated[t].float()
    exact = {k: vectors[f"grad.{k}"].double() for k in parameters}
    worst = float32_worst(model, x32, {k: (torch.zeros_like(parameters[k]) if g is None else g) for k, g in zip(parameters, gradients[1:])})
    total = sum(p.numel() for p in model.parameters())
    shared = sum(p.numel() for p in model.get_share_params())
    save_file({k: v.contiguous() for k, v in vectors.items()}, os.path.join(HERE, f"{name}.vectors.safetensors"),
              metadata={"architecture": name, "width": repr(WIDTH), "loss": "sum_t <sin(0.37 i + t), train.t>",
                        "total": str(total), "shared": str(shared), "torch_float32_worst": f"{worst:.6e}"})
    print(f"{name}: {total} parameters ({shared} shared); PyTorch float32's worst parameter gradient is {worst:.2e} off the float64 one")


def float32_worst(model, x32, exact):
    single = copy.deepcopy(model).float().train()
    parameters = dict(single.named_parameters())
    gradients = torch.autograd.grad(loss_of(single(x32.clone()), torch.float32), list(parameters.values()), allow_unused=True)
    scale = max(float(g.norm()) for g in exact.values())
    return max(float(((torch.zeros_like(parameters[k]) if g is None else g).double() - exact[k]).norm())
               / max(float(exact[k].norm()), 1e-3 * scale) for k, g in zip(parameters, gradients))


def write_gumbel(generator):
    logits = (torch.randn(6, 3, 3, generator=generator) * 0.5).double()
    tau = 2.5
    torch.manual_seed(7)
    noise = -torch.empty_like(logits).exponential_().log()
    torch.manual_seed(7)
    x = logits.clone().requires_grad_(True)
    y = F.gumbel_softmax(x, tau=tau, hard=True, dim=-1)
    soft = F.softmax((logits + noise) / tau, dim=-1)
    assert torch.equal(y.detach().argmax(-1), soft.argmax(-1)), "the recorded noise is not the one gumbel_softmax drew"
    (gradient,) = torch.autograd.grad((cotangent(y.shape, 0) * y).sum(), [x])
    save_file({"logits": logits.float(), "noise": noise.float(), "output": y.detach().float(), "grad.logits": gradient.float()},
              os.path.join(HERE, "gumbel.vectors.safetensors"), metadata={"tau": repr(tau), "loss": "<sin(0.37 i), y>"})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repository", required=True, help="a checkout of github.com/median-research-group/LibMTL (for LTB and the T x T Cross_stitch)")
    arguments = parser.parse_args()
    torch.manual_seed(0)

    wide, reference = NarrowResNet(width=1), resnet18()
    wide.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
    a, b = wide.state_dict(), reference.state_dict()
    assert list(a.keys()) == list(b.keys()) and all(a[k].shape == b[k].shape for k in a), "NarrowResNet(1) is not LibMTL's resnet18"
    encoder_count = sum(p.numel() for p in reference.parameters())
    assert encoder_count == 11_176_512, encoder_count
    with open(os.path.join(HERE, "counts.json"), "w") as out:
        json.dump({"resnet18_encoder": encoder_count}, out, indent=1, sort_keys=True)
        out.write("\n")

    mtan_module.np = ScaledChannels()
    cases = [
        ("hps", architectures.HPS, {}),
        ("cross-stitch-per-source", architectures.Cross_stitch, {}),
        ("cross-stitch", load_repository_module(arguments.repository, "Cross_stitch"), {}),
        ("mtan", architectures.MTAN, {}),
        ("mmoe", architectures.MMoE, {"img_size": INPUT, "num_experts": [2]}),
        ("cgc", architectures.CGC, {"img_size": INPUT, "num_experts": [1, 1, 2, 1]}),
        ("ple", architectures.PLE, {"img_size": INPUT, "num_experts": [1, 1, 2, 1]}),
        ("dselect-k", architectures.DSelect_k, {"img_size": INPUT, "num_experts": [3], "num_nonzeros": 2, "kgamma": 1.0}),
        ("ltb", load_repository_module(arguments.repository, "LTB"), {}),
    ]
    for index, (name, arch_class, kwargs) in enumerate(cases):
        model = build(arch_class, **kwargs)
        generator = torch.Generator().manual_seed(40 + index)
        randomise(model, generator)
        write_vectors(name, model, generator)
    write_gumbel(torch.Generator().manual_seed(60))


if __name__ == "__main__":
    main()
