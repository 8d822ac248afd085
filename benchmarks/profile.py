#!/usr/bin/env python3
"""Where Tandem's time goes: samples one `tandem-bench` command with `perf` and groups the samples.

    python3 benchmarks/profile.py core conv batch=8 in=64 out=64 height=64 width=96 kernel=3 padding=1
    python3 benchmarks/profile.py --tandem-env TANDEM_NUMERICS=native --tandem-env OPENBLAS_CORETYPE=SkylakeX models splitvgg split=3 ...

Needs `perf` (Debian: linux-perf; software clock events are enough, no hardware counters). Every
sample (CPU time on any thread of the process) is put in one class, from its innermost frames:

  GEMM            OpenBLAS sgemm kernels, packing and beta scaling (OpenBLAS keeps no frame pointers,
                  so the calling op is not known; time the conv passes separately for that split)
  BLAS spin       OpenBLAS worker threads waiting (sched_yield) between GEMM calls
  im2col, col2im  convolution unfolding / folding (ConvolutionKernels.unfold / fold and their callers)
  conv layout     the permutes between N×O×plane and O×(N·plane) around each convolution GEMM
  oneDNN conv     oneDNN's JIT convolution kernels (named through oneDNN's perf map, DNNL_JIT_PROFILE=2)
  oneDNN reorder  oneDNN's reorders between N×C×H×W and its blocked formats
  oneDNN (other)  the rest of libdnnl (primitive creation, scratchpads, its driver loops)
  OpenMP spin     oneDNN's OpenMP worker threads waiting (libgomp)
  …               otherwise the innermost Tandem function (elementwise kernels, reductions, pooling, …),
                  plus the enclosing "feature" (batch norm, a loss, the optimiser) when one is on the stack

Setup (random data, model initialisation) is included, so use enough repetitions that it is small.
Prints a table of CPU-time shares (of all samples) and writes it to benchmarks/results/.
"""

import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SWIFT = os.environ.get("SWIFT", "/opt/swift/usr/bin/swift")

# Enclosing features worth naming when they are on the stack (checked outermost-last).
FEATURES = [
    ("batchNorm", "batch norm"),
    ("crossEntropy", "cross-entropy"), ("maskedL1", "masked L1"), ("cosineLoss", "cosine loss"),
    ("SGD.step", "SGD update"), ("Adam.step", "Adam update"),
    ("maxPool2d", "max-pool"), ("upsample", "up-sampling"),
]


def demangle(symbols):
    """Simplified Swift names for mangled symbols (unchanged when not Swift)."""
    mangled = sorted(s for s in symbols if s.startswith(("$s", "_$s")))
    if not mangled:
        return {}
    try:
        result = subprocess.run([SWIFT, "demangle", "--simplified", "--compact"], input="\n".join(mangled),
                                capture_output=True, text=True, check=True)
        return dict(zip(mangled, result.stdout.splitlines()))
    except (OSError, subprocess.CalledProcessError):
        return {}


def short_name(name):
    """'closure #1 in static ConvolutionKernels.im2col(_:_:images:into:)' → 'ConvolutionKernels.im2col'."""
    name = re.sub(r"^(closure #\d+ in |implicit closure #\d+ in |specialized |static |merged )+", "", name)
    name = re.sub(r"^(closure #\d+ in |specialized |static )+", "", name)
    name = name.split("(")[0].strip()
    return name


def parse_samples(script_text):
    """`perf script -F ip,sym,dso` output → list of stacks, each a list of (symbol, dso), innermost
    first. Samples are blocks of indented frame lines separated by blank lines."""
    samples, frames = [], []
    for line in script_text.splitlines():
        match = re.match(r"\s+[0-9a-f]+\s+(.*?)(?:\+0x[0-9a-f]+)?\s+\((.*)\)\s*$", line)
        if match:
            frames.append((match.group(1), os.path.basename(match.group(2))))
        elif not line.strip() and frames:
            samples.append(frames)
            frames = []
    if frames:
        samples.append(frames)
    return samples


def classify(frames, names, binary):
    """(class, detail) of one sample."""
    readable = [(names.get(sym, sym), dso) for sym, dso in frames]
    tandem = [short_name(sym) for sym, dso in readable if dso == binary]
    caller = next((t for t in tandem if not t.startswith(("Gemm.", "thunk", "reabstraction"))), None)
    leaf_sym, leaf_dso = readable[0] if readable else ("?", "?")
    feature = next((label for key, label in FEATURES for t in tandem if key in t), None)
    in_blas = any("openblas" in dso for _, dso in readable)

    if leaf_dso.startswith("perf-") and leaf_dso.endswith(".map") or "libdnnl" in leaf_dso:
        if "reorder" in leaf_sym or "blk_kernel" in leaf_sym:
            return "oneDNN reorder", leaf_sym
        if "conv" in leaf_sym and leaf_dso.endswith(".map"):
            return "oneDNN conv", leaf_sym
        return "oneDNN (other)", leaf_sym
    if "libgomp" in leaf_dso:
        return "OpenMP spin", leaf_sym
    if "openblas" in leaf_dso:
        if re.search(r"gemm|GEMM", leaf_sym):
            # OpenBLAS has no frame pointers: the calling Tandem op is rarely on the stack (and never
            # on its worker threads); benchmarks' pass=forward/input/weight split GEMM time by op.
            return "GEMM", leaf_sym
        return "BLAS spin", leaf_sym
    # OpenBLAS worker threads wait for the next GEMM with sched_yield (Tandem's pool uses GCD).
    if any("sched_yield" in sym for sym, _ in readable) or (in_blas and not tandem):
        return "BLAS spin", "sched_yield"
    if caller is None:
        if "libdispatch" in leaf_dso or "dispatch" in leaf_sym or any("libdispatch" in d for _, d in readable):
            return "thread pool", leaf_sym
        if leaf_dso.startswith("[kernel"):
            return "kernel (other)", leaf_sym
        return "other", f"{leaf_sym} ({leaf_dso})"
    if "im2col" in caller or "ConvolutionKernels.unfold" in caller:
        return "im2col", caller
    if "col2im" in caller or "ConvolutionKernels.fold" in caller:
        return "col2im", caller
    if "gatherOutputs" in caller or caller.startswith(("ConvolutionKernels.", "convolution")):
        return "conv layout", caller
    if re.search(r"random|SeededGenerator|initialParameters|uniformFanIn", caller):
        return "setup (random data)", caller
    kind = "memory/refcount" if re.search(r"malloc|free|swift_retain|swift_release|swift_alloc|swift_dealloc|BufferPool|madvise|munmap|page_fault", leaf_sym) else None
    label = feature or "op"
    return (kind or label), caller


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench", default=os.path.join(ROOT, ".build-bench", "release", "tandem-bench"))
    parser.add_argument("--tandem-env", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--frequency", type=int, default=1999, help="samples per second per thread")
    parser.add_argument("--top", type=int, default=25, help="detail rows to show")
    parser.add_argument("--output", help="also write the table (Markdown) here")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="tandem-bench arguments")
    args = parser.parse_args()
    if not args.command:
        parser.error("give the tandem-bench arguments, e.g. core conv batch=8 in=64 out=64 height=64 width=96")

    # DNNL_JIT_PROFILE=2 makes oneDNN name its JIT kernels in /tmp/perf-PID.map for perf.
    env = dict(os.environ, TANDEM_THREADS="2", OPENBLAS_NUM_THREADS="2", DNNL_JIT_PROFILE="2")
    env.update(kv.split("=", 1) for kv in args.tandem_env)
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "perf.data")
        record = ["perf", "record", "-q", "-e", "cpu-clock", "-F", str(args.frequency), "-g", "-o", data,
                  args.bench] + args.command
        run = subprocess.run(record, env=env, capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit(f"profile.py: perf record failed:\n{run.stderr}")
        benchmark_output = run.stdout.strip()
        script = subprocess.run(["perf", "script", "-i", data, "-F", "ip,sym,dso"], capture_output=True,
                                text=True).stdout
    samples = parse_samples(script)
    names = demangle({sym for frames in samples for sym, _ in frames})
    binary = os.path.basename(args.bench)

    classes, details = collections.Counter(), collections.Counter()
    for frames in samples:
        kind, detail = classify(frames, names, binary)
        classes[kind] += 1
        details[(kind, detail)] += 1
    total = max(1, sum(classes.values()))

    lines = [f"profile of `tandem-bench {' '.join(args.command)}`"
             + (f" with {' '.join(args.tandem_env)}" if args.tandem_env else ""),
             f"{total} samples ({total / args.frequency:.1f} CPU-seconds at {args.frequency} Hz)", "",
             "| class | share of CPU time |", "|---|---|"]
    lines += [f"| {kind} | {100 * n / total:.1f}% |" for kind, n in classes.most_common()]
    lines += ["", "| class | innermost Tandem function (or symbol) | share |", "|---|---|---|"]
    lines += [f"| {kind} | {detail} | {100 * n / total:.1f}% |" for (kind, detail), n in details.most_common(args.top)]
    if benchmark_output:
        lines += ["", "benchmark output:", "", "```", benchmark_output, "```"]
    text = "\n".join(lines)
    print(text)
    if args.output:
        os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
        with open(args.output, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
