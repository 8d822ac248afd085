#!/usr/bin/env python3
"""Runs Tandem and its PyTorch peer side by side and prints one comparison table.

    python3 benchmarks/compare.py core      # sgemm, conv, transposed conv (issue 2)
    python3 benchmarks/compare.py models    # full training steps of MultiLeNet and SplitVGG (issue 3)
    python3 benchmarks/compare.py data      # synthetic-scenes generation (Tandem only, no peer)
    python3 benchmarks/compare.py strategies  # a training step of every strategy / EW, against LibMTL (issues 9, 14)

Every shape runs as two fresh processes, Tandem first and the peer right after, so both see the
same machine state; each process prints one JSON line (see benchmarks/README.md) and its peak
memory (max RSS) is read from the kernel when it exits. The table goes to the terminal and, as
Markdown and JSON, to benchmarks/results/ (git-ignored). Only the standard library is used here;
the peer runs in the virtualenv made by `make bench-setup`.
"""

import argparse
import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
THREADS = 2

# One row per shape: the words given to both `tandem-bench SUITE ...` and `peer/SUITE.py ...`.
# Targets (issue 11's goals): `time` = Tandem's median time ≤ value × PyTorch's; `memory_target` =
# Tandem's peak RSS and ΔRSS ≤ value × PyTorch's.
CORE_CASES = [
    dict(name="sgemm 512", words="sgemm m=512 n=512 k=512", target=("time", 1.05)),
    dict(name="sgemm 1024", words="sgemm m=1024 n=1024 k=1024", target=("time", 1.05)),
    dict(name="conv3x3 64ch fwd+bwd",
         words="conv batch=8 in=64 out=64 height=64 width=96 kernel=3 padding=1", target=("time", 1.0)),
    dict(name="conv3x3 128ch fwd+bwd",
         words="conv batch=8 in=128 out=128 height=32 width=48 kernel=3 padding=1", target=("time", 1.0)),
    dict(name="conv5x5 1->10 fwd+bwd",
         words="conv batch=256 in=1 out=10 height=36 width=36 kernel=5", target=("time", 1.0)),
    dict(name="convT 128->64 s2 fwd+bwd",
         words="convtranspose batch=8 in=128 out=64 height=16 width=24 kernel=3 stride=2 padding=1 output_padding=1",
         target=("time", 1.0)),
    # Forward-only rows: not targets, they show how the forward/backward split compares.
    dict(name="conv3x3 64ch fwd",
         words="conv batch=8 in=64 out=64 height=64 width=96 kernel=3 padding=1 pass=forward"),
    dict(name="conv3x3 128ch fwd",
         words="conv batch=8 in=128 out=128 height=32 width=48 kernel=3 padding=1 pass=forward"),
    dict(name="conv5x5 1->10 fwd",
         words="conv batch=256 in=1 out=10 height=36 width=36 kernel=5 pass=forward"),
    dict(name="convT 128->64 s2 fwd",
         words="convtranspose batch=8 in=128 out=64 height=16 width=24 kernel=3 stride=2 padding=1 output_padding=1 pass=forward"),
]

MODEL_CASES = [
    dict(name="MultiLeNet 28x28 b256", words="multilenet batch=256 height=28 width=28",
         target=("time", 0.8), memory_target=1.0),
    dict(name="MultiLeNet 36x36 b256", words="multilenet batch=256 height=36 width=36",
         target=("time", 0.8), memory_target=1.0),
    dict(name="SplitVGG-3 64x96 b8", words="splitvgg split=3 batch=8 height=64 width=96 warmup=2 reps=5 min_time=1",
         target=("time", 0.9), memory_target=1.0),
    dict(name="SplitVGG-3 128x192 b8", words="splitvgg split=3 batch=8 height=128 width=192 warmup=1 reps=3 min_time=1",
         target=("time", 0.9), memory_target=1.0),
    # The quickstart's model (`make run`): SplitVGG-2 with three blocks at a quarter width, 32×32 —
    # milliseconds per step, where what surrounds each kernel call costs as much as the kernel.
    dict(name="SplitVGG-2 quickstart 32x32 b8", words="splitvgg split=2 blocks=3 scale=0.25 batch=8 height=32 width=32 warmup=5 reps=40 min_time=1",
         target=("time", 0.9), memory_target=1.0),
    # NYUv2's resolution (issue "standard benchmark"): seconds per step, so few repetitions.
    dict(name="SplitVGG-3 288x384 b2", words="splitvgg split=3 batch=2 height=288 width=384 warmup=1 reps=2 min_time=1",
         target=("time", 0.9), memory_target=1.0),
    dict(name="SegNet-MTAN 288x384 b2", words="segnet-mtan batch=2 height=288 width=384 warmup=1 reps=2 min_time=1",
         target=("time", 0.9), memory_target=1.0),
]

SUITES = {"core": CORE_CASES, "models": MODEL_CASES}

# The strategies suite (issues 9 and 14): one training step of each strategy on each model,
# Tandem's registered strategy through the real trainer (`tandem-bench strategy`) beside LibMTL
# 1.1.5's weighting class on the same PyTorch model (`peer/strategies.py`), each relative to its
# own EW step. Model words go to both sides; timing words too (SplitVGG's steps are long).
STRATEGY_MODELS = [
    dict(key="multilenet", name="MultiLeNet 36x36 b256", tasks=2,
         words="model=multilenet batch=256 height=36 width=36", peer="multilenet batch=256 height=36 width=36",
         timing="warmup=2 reps=5 min_time=0.3"),
    dict(key="splitvgg", name="SplitVGG-3 64x96 b8", tasks=3,
         words="model=splitvgg split=3 batch=8 height=64 width=96", peer="splitvgg split=3 batch=8 height=64 width=96",
         timing="warmup=1 reps=2 min_time=0"),
]

# One row per strategy. `tandem`: (registered name, options as YAML); `libmtl`: (weighting class,
# rep_grad, weight_args or None for LibMTL's defaults), None when LibMTL 1.1.5 has no such
# weighting. `level`: where the per-task gradients are taken, the same on both sides (LibMTL's
# rep_grad flag; PCGrad, GradVac and CAGrad refuse rep_grad, GradDrop needs it).
STRATEGY_ROWS = [
    dict(name="EW", group="shared", level="—", tandem=("ew", ""), libmtl=("EW", 0, None)),
    dict(name="UW", group="shared", level="—", tandem=("uw", ""), libmtl=("UW", 0, None)),
    dict(name="DWA", group="shared", level="—", tandem=("dwa", ""), libmtl=("DWA", 0, None)),
    dict(name="RLW", group="shared", level="—", tandem=("rlw", ""), libmtl=("RLW", 0, None)),
    dict(name="GLS", group="shared", level="—", tandem=("scale-invariant", "{variant: gls}"), libmtl=("GLS", 0, None)),
    dict(name="GradNorm", group="shared", level="θ_s", tandem=("gradnorm", "{layer: all-shared}"), libmtl=("GradNorm", 0, None)),
    dict(name="MGDA-UB", group="shared", level="z", tandem=("mgda-ub", "{inner_product: batch-summed, convention: libmtl}"),
         libmtl=("MGDA", 1, None)),
    dict(name="MGDA", group="shared", level="θ_s", tandem=("mgda-ub", "{level: parameters, convention: libmtl}"),
         libmtl=("MGDA", 0, None)),
    dict(name="PCGrad", group="shared", level="θ_s", tandem=("pcgrad", ""), libmtl=("PCGrad", 0, None)),
    dict(name="CAGrad", group="shared", level="θ_s", tandem=("cagrad", ""), libmtl=("CAGrad", 0, None)),
    dict(name="IMTL", group="shared", level="θ_s", tandem=("imtl", ""), libmtl=("IMTL", 0, None)),
    dict(name="GradVac", group="shared", level="θ_s", tandem=("gradvac", "{target_update: when-adjusted}"), libmtl=("GradVac", 0, None)),
    dict(name="GradDrop", group="shared", level="z", tandem=("graddrop", ""), libmtl=("GradDrop", 1, None)),
    # Tandem only (LibMTL 1.1.5 has none of these): the ratio to EW.
    dict(name="GradNorm (last shared layer)", group="tandem-only", level="W", tandem=("gradnorm", "")),
    dict(name="IMTL-L", group="tandem-only", level="—", tandem=("imtl-l", "")),
    dict(name="IMTL-G", group="tandem-only", level="θ_s", tandem=("imtl-g", "")),
    dict(name="Nash-MTL", group="tandem-only", level="θ_s", tandem=("nash-mtl", "")),
    dict(name="Nash-MTL every 5", group="tandem-only", level="θ_s", tandem=("every-k-steps", "{strategy: nash-mtl, k: 5}")),
    dict(name="Aligned-MTL", group="tandem-only", level="θ_s", tandem=("aligned-mtl", "")),
    dict(name="UPGrad", group="tandem-only", level="θ_s", tandem=("upgrad", "")),
    dict(name="DualProj", group="tandem-only", level="θ_s", tandem=("dualproj", "")),
    dict(name="FairGrad", group="tandem-only", level="θ_s", tandem=("fairgrad", "")),
    dict(name="FAMO", group="tandem-only", level="—", tandem=("famo", "")),
    dict(name="STCH", group="tandem-only", level="—", tandem=("stch", "")),
    dict(name="scale-invariant (log-sum)", group="tandem-only", level="—", tandem=("scale-invariant", "")),
    dict(name="Auto-λ", group="tandem-only", level="—", tandem=("auto-lambda", "")),
    # IT (issue 14's cost): against EW and PCGrad of the same run; `forward` = one forward pass
    # and the losses without a graph (what each exact-lookahead candidate costs).
    dict(name="forward pass", group="it", level="—", tandem=None, mode="forward"),
    dict(name="IT-MTL exact", group="it", level="θ_s", tandem=("it", "")),
    dict(name="IT-MTL first-order", group="it", level="θ_s", tandem=("it", "{lookahead: first-order}")),
    dict(name="IT-PCGrad first-order", group="it", level="θ_s",
         tandem=("it", "{inner: pcgrad, candidates: total-and-inner, lookahead: first-order}")),
]
STRATEGY_GROUPS = ["shared", "tandem-only", "it"]


def run_measured(command, env):
    """Runs `command`; returns its JSON lines, its own max RSS (through wait4), wall time and output."""
    start = time.perf_counter()
    out_path = os.path.join(RESULTS_TMP, "stdout.txt")
    err_path = os.path.join(RESULTS_TMP, "stderr.txt")
    with open(out_path, "w") as out, open(err_path, "w") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    with open(out_path) as f:
        stdout = f.read()
    with open(err_path) as f:
        stderr = f.read()
    lines = []
    for text in stdout.splitlines():
        text = text.strip()
        if text.startswith("{"):
            try:
                lines.append(json.loads(text))
            except json.JSONDecodeError:
                pass
    return dict(lines=lines, max_rss_mib=usage.ru_maxrss / 1024.0, wall_s=wall, returncode=process.returncode,
                stdout=stdout, stderr=stderr)


def cpu_busy_fraction(window=0.5):
    """Fraction of all CPUs busy over `window` seconds (from /proc/stat); None if unavailable."""
    def snapshot():
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
        idle = values[3] + (values[4] if len(values) > 4 else 0)
        return idle, sum(values)
    try:
        idle0, total0 = snapshot()
        time.sleep(window)
        idle1, total1 = snapshot()
    except OSError:
        return None
    return 1 - (idle1 - idle0) / max(1, total1 - total0)


def wait_for_quiet(max_wait, threshold=0.15):
    """Waits (up to `max_wait` s) until other processes use under `threshold` of the CPUs, so a
    shared machine's compile jobs do not land in the middle of a measurement. Returns the busy
    fraction seen last."""
    deadline = time.monotonic() + max_wait
    while True:
        busy = cpu_busy_fraction()
        if busy is None or busy < threshold or time.monotonic() >= deadline:
            return busy
        time.sleep(1)


def tandem_env(extra):
    env = dict(os.environ)
    env["TANDEM_THREADS"] = str(THREADS)
    env["OPENBLAS_NUM_THREADS"] = str(THREADS)
    env.update(extra)
    return env


def peer_env():
    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = str(THREADS)
    env["MKL_NUM_THREADS"] = str(THREADS)
    return env


def openblas_core(bench, env):
    """The kernel family OpenBLAS picks on this CPU (it prints it with OPENBLAS_VERBOSE=2)."""
    probe = dict(env)
    probe["OPENBLAS_VERBOSE"] = "2"
    try:
        result = subprocess.run([bench, "core", "sgemm", "m=16", "warmup=0", "reps=1", "min_time=0"],
                                capture_output=True, text=True, env=probe, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    # tandem-bench may re-execute itself with OPENBLAS_CORETYPE set: the last report counts.
    cores = [text.split(":", 1)[1].strip() for text in (result.stdout + result.stderr).splitlines()
             if text.startswith("Core:")]
    return cores[-1] if cores else "unknown"


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for text in f:
                if text.startswith("model name"):
                    return text.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def side_summary(result):
    """The one JSON line of a side, with the process's peak memory added (None when it failed)."""
    if result["returncode"] != 0 or not result["lines"]:
        return None
    line = dict(result["lines"][-1])
    line["max_rss_mib"] = result["max_rss_mib"]
    # Memory the benchmark itself added on top of the runtime (imports, libraries) it started with.
    line["work_rss_mib"] = result["max_rss_mib"] - line.get("baseline_rss_mib", 0)
    return line


def median(values):
    values = sorted(values)
    n = len(values)
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


def aggregate(runs):
    """One side over its rounds (one fresh process each): the median of the rounds' medians, the
    fastest single repetition of any round, and the median peak / Δ RSS. None when no round ran."""
    runs = [r for r in runs if r is not None]
    if not runs:
        return None
    side = dict(runs[-1])
    side["rounds"] = len(runs)
    side["round_medians_ms"] = [r["median_ms"] for r in runs]
    side["median_ms"] = median(side["round_medians_ms"])
    side["min_ms"] = min(r["min_ms"] for r in runs)
    side["max_rss_mib"] = median([r["max_rss_mib"] for r in runs])
    side["work_rss_mib"] = median([r["work_rss_mib"] for r in runs])
    side["cpu_busy_before"] = [r.get("cpu_busy_before") for r in runs]
    return side


def judge(case, tandem, pytorch, before=None):
    """Ratios and whether the targets are met."""
    row = dict(case=case["name"], words=case["words"], tandem=tandem, pytorch=pytorch)
    if before is not None:
        row["before"] = before
        if tandem:
            row["speedup_vs_before"] = before["median_ms"] / tandem["median_ms"]
    if tandem and pytorch:
        row["time_ratio"] = tandem["median_ms"] / pytorch["median_ms"]
        row["min_time_ratio"] = tandem["min_ms"] / pytorch["min_ms"]
        row["throughput_ratio"] = pytorch["median_ms"] / tandem["median_ms"]
        row["memory_ratio"] = tandem["max_rss_mib"] / pytorch["max_rss_mib"]
        row["work_memory_ratio"] = tandem["work_rss_mib"] / max(pytorch["work_rss_mib"], 1e-9)
        if "target" in case:
            kind, value = case["target"]
            row["target"] = f"{'throughput ≥' if kind == 'throughput' else 'time ≤'} {value}×"
            row["met"] = row["throughput_ratio"] >= value if kind == "throughput" else row["time_ratio"] <= value
        if "memory_target" in case:
            row["memory_target"] = f"RSS and ΔRSS ≤ {case['memory_target']}×"
            row["memory_met"] = (row["memory_ratio"] <= case["memory_target"]
                                 and row["work_memory_ratio"] <= case["memory_target"])
    return row


def gflops(side):
    return side["flops"] / (side["median_ms"] * 1e6) if side and side.get("flops") else None


def fmt(value, digits=1):
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    return f"{value:.{digits}f}"


def table(suite, rows):
    """Markdown table of the rows (also what the terminal shows)."""
    with_flops = suite == "core"
    with_params = suite == "models"
    with_before = any("before" in row for row in rows)
    header = ["case", "shape", "Tandem median ms", "Tandem min ms", "PyTorch median ms", "PyTorch min ms",
              "ratio (median)", "ratio (min)"]
    if with_before:
        header += ["before median ms", "speed-up vs before"]
    if with_flops:
        header += ["Tandem GFLOP/s", "PyTorch GFLOP/s"]
    header += ["target", "met", "Tandem RSS MiB", "PyTorch RSS MiB", "ratio (RSS)",
               "Tandem ΔRSS MiB", "PyTorch ΔRSS MiB", "ratio (ΔRSS)"]
    if with_params:
        header += ["RSS target met", "Tandem params", "PyTorch params"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        t, p = row["tandem"], row["pytorch"]
        shape = (t or p or {}).get("shape", "")
        cells = [row["case"], shape, fmt(t and t["median_ms"], 2), fmt(t and t["min_ms"], 2),
                 fmt(p and p["median_ms"], 2), fmt(p and p["min_ms"], 2),
                 fmt(row.get("time_ratio"), 2), fmt(row.get("min_time_ratio"), 2)]
        if with_before:
            b = row.get("before")
            cells += [fmt(b and b["median_ms"], 2), fmt(row.get("speedup_vs_before"), 2)]
        if with_flops:
            cells += [fmt(gflops(t)), fmt(gflops(p))]
        cells += [row.get("target", "—"), fmt(row.get("met")), fmt(t and t["max_rss_mib"], 0),
                  fmt(p and p["max_rss_mib"], 0), fmt(row.get("memory_ratio"), 2),
                  fmt(t and t["work_rss_mib"], 0), fmt(p and p["work_rss_mib"], 0), fmt(row.get("work_memory_ratio"), 2)]
        if with_params:
            cells += [fmt(row.get("memory_met")), str((t or {}).get("parameters", "—")),
                      str((p or {}).get("parameters", "—"))]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_results(suite, payload, markdown):
    os.makedirs(RESULTS_DIR, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    for name in (f"{suite}-{stamp}", f"{suite}-latest"):
        with open(os.path.join(RESULTS_DIR, name + ".json"), "w") as f:
            json.dump(payload, f, indent=2, sort_keys=True)
        with open(os.path.join(RESULTS_DIR, name + ".md"), "w") as f:
            f.write(markdown + "\n")
    return os.path.join(RESULTS_DIR, f"{suite}-{stamp}")


def machine_description(args, env):
    return dict(cpu=cpu_name(), cores=os.cpu_count(), threads=THREADS,
                load_average_before=os.getloadavg(), openblas_core=openblas_core(args.bench, env),
                tandem_env={k: v for k, v in env.items()
                            if k.startswith(("OPENBLAS", "TANDEM", "OMP", "MKL"))},
                python=platform.python_version(), date=datetime.datetime.now().isoformat(timespec="seconds"))


def run_pairs(args, cases):
    env_t = tandem_env(dict(kv.split("=", 1) for kv in args.tandem_env))
    env_p = peer_env()
    machine = machine_description(args, env_t)
    print(f"# {args.suite}: {machine['cpu']}, {THREADS} threads per side, OpenBLAS core {machine['openblas_core']},"
          f" load {machine['load_average_before'][0]:.2f}", flush=True)
    if machine["openblas_core"] in ("Prescott", "Core2", "Nehalem", "unknown") and "OPENBLAS_CORETYPE" not in env_t:
        print("  note: OpenBLAS did not recognise this CPU and uses a generic kernel; see README"
              " ('OpenBLAS core type') for OPENBLAS_CORETYPE", flush=True)
    rows = []
    sides = [("tandem", [args.bench, args.suite], env_t),
             ("pytorch", [args.python, os.path.join(HERE, "peer", args.suite + ".py")], env_p)]
    if args.before:
        sides.append(("before", [args.before, args.suite], env_t))
    for case in cases:
        if args.only and not any(o.lower() in case["name"].lower() for o in args.only):
            continue
        words = shlex.split(case["words"]) + args.extra
        runs = {name: [] for name, _, _ in sides}
        # Rounds of back-to-back processes (Tandem, then PyTorch, then the `--before` build):
        # each round's sides see the same machine state.
        for _ in range(args.rounds):
            for side, prefix, env in sides:
                command = prefix + words
                busy = wait_for_quiet(args.quiet) if args.quiet > 0 else None
                result = run_measured(command, env)
                summary = side_summary(result)
                if summary is None:
                    print(f"  {case['name']}: {side} failed (exit {result['returncode']}):\n"
                          f"    {' '.join(shlex.quote(c) for c in command)}\n{result['stderr'][-2000:]}", flush=True)
                    continue
                summary["cpu_busy_before"] = busy
                runs[side].append(summary)
        row = judge(case, aggregate(runs["tandem"]), aggregate(runs["pytorch"]),
                    aggregate(runs["before"]) if args.before else None)
        rows.append(row)
        t, p = row["tandem"], row["pytorch"]
        extra = ""
        if args.before and row.get("before"):
            extra += f"  before {fmt(row['before']['median_ms'], 2)} ms (×{fmt(row.get('speedup_vs_before'), 2)})"
        if args.suite == "models" and t and p:
            same = "equal" if t.get("parameters") == p.get("parameters") else "DIFFERENT"
            extra += f"  params {t.get('parameters')} vs {p.get('parameters')} ({same})"
        print(f"  {case['name']:<26} Tandem {fmt(t and t['median_ms'], 2):>9} ms (min {fmt(t and t['min_ms'], 2)})"
              f"  PyTorch {fmt(p and p['median_ms'], 2):>9} ms (min {fmt(p and p['min_ms'], 2)})"
              f"  ratio {fmt(row.get('time_ratio'), 2):>5}  RSS {fmt(t and t['max_rss_mib'], 0)} / "
              f"{fmt(p and p['max_rss_mib'], 0)} MiB (Δ {fmt(t and t['work_rss_mib'], 0)} / {fmt(p and p['work_rss_mib'], 0)}){extra}", flush=True)
    return machine, rows


def run_data(args):
    """Synthetic-scenes generation (no peer): the benchmark's own JSON lines, judged against < 10 s."""
    env = tandem_env(dict(kv.split("=", 1) for kv in args.tandem_env))
    machine = machine_description(args, env)
    result = run_measured([args.bench, "data"] + args.extra, env)
    if result["returncode"] != 0 or not result["lines"]:
        print(result["stdout"] + result["stderr"], file=sys.stderr)
    rows = ["| benchmark | images | size | threads | seconds | images/s | target | met |", "|---|---|---|---|---|---|---|---|"]
    for line in result["lines"]:
        seconds = line.get("seconds")
        rows.append(f"| {line.get('benchmark', '?')} | {line.get('count', '?')} | {line.get('height', '?')}x{line.get('width', '?')}"
                    f" | {line.get('threads', '?')} | {fmt(seconds, 2)} | {fmt(line.get('images_per_second'), 0)}"
                    f" | < 10 s | {fmt(seconds is not None and seconds < 10)} |")
    summary = (f"whole process: wall {result['wall_s']:.2f} s, max RSS {result['max_rss_mib']:.0f} MiB,"
               f" exit {result['returncode']}")
    markdown = (f"# data benchmark: synthetic scenes (Tandem only)\n\n{machine['date']}, {machine['cpu']}\n\n"
                + "\n".join(rows) + f"\n\n{summary}")
    print("\n".join(rows))
    print(summary)
    payload = dict(suite="data", machine=machine, returncode=result["returncode"], lines=result["lines"],
                   wall_s=result["wall_s"], max_rss_mib=result["max_rss_mib"])
    print(f"results: {write_results('data', payload, markdown)}.{{md,json}}")
    return 0 if result["returncode"] == 0 and result["lines"] else 1


def strategy_commands(args, model, row):
    """The Tandem and LibMTL commands of one (model, row); LibMTL's is None for Tandem-only rows."""
    timing = shlex.split(model["timing"]) + args.extra
    tandem = [args.bench, "strategy"] + shlex.split(model["words"])
    if row.get("mode") == "forward":
        tandem += ["mode=forward"]
    else:
        name, options = row["tandem"]
        tandem += [f"name={name}"] + ([f"options={options}"] if options else [])
    peer = None
    if row.get("libmtl"):
        weighting, rep_grad, weight_args = row["libmtl"]
        peer = ([args.python, os.path.join(HERE, "peer", "strategies.py")] + shlex.split(model["peer"])
                + [f"weighting={weighting}", f"rep_grad={rep_grad}"]
                + ([f"args={json.dumps(weight_args)}"] if weight_args else []) + timing)
    return tandem + timing, peer


def ratio(a, b, key="median_ms"):
    return a[key] / b[key] if a and b else None


def run_strategies(args):
    """Rounds of fresh processes, round-major (every row of every model once per round, Tandem then
    LibMTL), so slow drift of the machine's load hits every row alike; ratios to EW per side."""
    env_t = tandem_env(dict(kv.split("=", 1) for kv in args.tandem_env))
    env_p = peer_env()
    machine = machine_description(args, env_t)
    print(f"# strategies: {machine['cpu']}, {THREADS} threads per side, OpenBLAS core {machine['openblas_core']},"
          f" load {machine['load_average_before'][0]:.2f}, {args.rounds} rounds", flush=True)
    groups = set(args.group or STRATEGY_GROUPS)
    models = [m for m in STRATEGY_MODELS if not args.model or m["key"] in args.model]
    rows = [r for r in STRATEGY_ROWS if r["group"] in groups
            and (not args.only or any(o.lower() in r["name"].lower() for o in args.only))]
    # Ratios need EW on both sides; the IT goals need PCGrad and the forward pass.
    needed = ["EW"] + (["PCGrad", "forward pass"] if any(r["group"] == "it" for r in rows) else [])
    rows = [r for r in STRATEGY_ROWS if r["name"] in needed and r not in rows] + rows
    runs = {(m["key"], r["name"], side): [] for m in models for r in rows for side in ("tandem", "libmtl")}
    failures = {}
    started = time.monotonic()
    for round_index in range(args.rounds):
        for model in models:
            for row in rows:
                tandem, peer = strategy_commands(args, model, row)
                for side, command, env in (("tandem", tandem, env_t), ("libmtl", peer, env_p)):
                    if command is None:
                        continue
                    busy = wait_for_quiet(args.quiet) if args.quiet > 0 else None
                    result = run_measured(command, env)
                    summary = side_summary(result)
                    if summary is None:
                        key = (model["key"], row["name"], side)
                        if key not in failures:
                            failures[key] = result["stderr"].strip().splitlines()[-1:] or [f"exit {result['returncode']}"]
                            print(f"  {model['name']} {row['name']}: {side} failed (exit {result['returncode']}):\n"
                                  f"    {' '.join(shlex.quote(c) for c in command)}\n{result['stderr'][-1500:]}", flush=True)
                        continue
                    summary["cpu_busy_before"] = busy
                    runs[(model["key"], row["name"], side)].append(summary)
            print(f"  round {round_index + 1}/{args.rounds} {model['name']} done ({time.monotonic() - started:.0f} s)", flush=True)

    results = []
    for model in models:
        sides = {(r["name"], side): aggregate(runs[(model["key"], r["name"], side)]) for r in rows for side in ("tandem", "libmtl")}
        ew_t, ew_p = sides[("EW", "tandem")], sides[("EW", "libmtl")]
        for row in rows:
            t, p = sides[(row["name"], "tandem")], sides[(row["name"], "libmtl")]
            entry = dict(model=model["name"], strategy=row["name"], group=row["group"], level=row["level"],
                         tandem_words=strategy_commands(args, model, row)[0][1:], tandem=t, libmtl=p,
                         tandem_ratio=ratio(t, ew_t), tandem_min_ratio=ratio(t, ew_t, "min_ms"),
                         libmtl_ratio=ratio(p, ew_p), libmtl_min_ratio=ratio(p, ew_p, "min_ms"))
            if row.get("libmtl"):
                entry["libmtl_spec"] = dict(zip(("weighting", "rep_grad", "weight_args"), row["libmtl"]))
                failure = failures.get((model["key"], row["name"], "libmtl"))
                if p is None and failure:
                    entry["libmtl_failure"] = failure[0]
                if entry["tandem_ratio"] is not None and entry["libmtl_ratio"] is not None:
                    entry["goal"] = "Tandem ratio ≤ LibMTL ratio"
                    entry["met"] = entry["tandem_ratio"] <= entry["libmtl_ratio"]
                    entry["met_on_min"] = entry["tandem_min_ratio"] <= entry["libmtl_min_ratio"]
            results.append(entry)
        # Issue 14's goals for IT, from this model's EW, PCGrad and forward rows.
        forward = sides.get(("forward pass", "tandem"))
        pcgrad = sides.get(("PCGrad", "tandem"))
        candidates = model["tasks"] + 1  # leave-one-out ∪ all
        for entry in results:
            if entry["model"] != model["name"] or not entry["strategy"].startswith("IT-") or not entry["tandem"] or not ew_t:
                continue
            t = entry["tandem"]
            if entry["strategy"] == "IT-MTL exact" and forward:
                bound = 1 + candidates * forward["median_ms"] / ew_t["median_ms"]
                entry["goal"] = f"≤ (1 + {candidates}·forward/step) × EW = {bound:.2f} × EW ({candidates} candidates)"
                entry["met"] = entry["tandem_ratio"] <= bound
                if pcgrad:
                    entry["versus_pcgrad_plus_forwards"] = t["median_ms"] / (pcgrad["median_ms"] + candidates * forward["median_ms"])
            elif "first-order" in entry["strategy"] and pcgrad:
                entry["versus_pcgrad"] = t["median_ms"] / pcgrad["median_ms"]
                entry["goal"] = "≤ 1.05 × PCGrad"
                entry["met"] = entry["versus_pcgrad"] <= 1.05
    return machine, results


def strategies_markdown(args, machine, results):
    lines = [f"# strategies benchmark: Tandem vs LibMTL {LIBMTL_VERSION_NOTE}", "",
             f"{machine['date']}, {machine['cpu']}, {THREADS} threads per side, OpenBLAS core {machine['openblas_core']}, "
             f"load average before {machine['load_average_before'][0]:.2f}; {args.rounds} rounds of fresh processes, "
             "round-major (every row once per round, Tandem then LibMTL). ms = median over rounds of each process's median "
             "step (min: fastest step of any round); ratio = the strategy's step / the same side's EW step (median; min in "
             "brackets); RSS = peak resident memory of the process, ΔRSS = peak minus the RSS before any benchmark data "
             "(LibMTL: after importing torch, LibMTL and scipy). Level: where the per-task gradients are taken, the same on "
             "both sides (θ_s: shared parameters, rep_grad=False; z: the representation, rep_grad=True).", ""]
    for model in dict.fromkeys(r["model"] for r in results):
        rows = [r for r in results if r["model"] == model]
        lines += [f"## {model}", "", "| strategy | level | Tandem ms (min) | Tandem ratio | LibMTL ms (min) | LibMTL ratio | "
                  "Tandem ratio ≤ LibMTL's | Tandem RSS / ΔRSS MiB | LibMTL RSS / ΔRSS MiB |", "|" + "---|" * 9]
        for r in rows:
            if r["group"] != "shared":
                continue
            t, p = r["tandem"], r["libmtl"]
            peer = (f"{fmt(p['median_ms'], 1)} ({fmt(p['min_ms'], 1)})" if p else
                    "fails: " + r.get("libmtl_failure", "no result").replace("|", "/")[:80])
            lines.append(f"| {r['strategy']} | {r['level']} | {fmt(t and t['median_ms'], 1)} ({fmt(t and t['min_ms'], 1)}) | "
                         f"{fmt(r['tandem_ratio'], 2)} ({fmt(r['tandem_min_ratio'], 2)}) | {peer} | "
                         f"{fmt(r['libmtl_ratio'], 2)} ({fmt(r['libmtl_min_ratio'], 2)}) | "
                         f"{fmt(r.get('met')) if 'met' in r else '—'}{'' if r.get('met_on_min', r.get('met')) == r.get('met') else ' (min: ' + fmt(r.get('met_on_min')) + ')'} | "
                         f"{fmt(t and t['max_rss_mib'], 0)} / {fmt(t and t['work_rss_mib'], 0)} | "
                         f"{fmt(p and p['max_rss_mib'], 0)} / {fmt(p and p['work_rss_mib'], 0)} |")
        ew = next((r for r in rows if r["strategy"] == "EW"), None)
        if ew and ew["tandem"] and ew["libmtl"]:
            same = "equal" if ew["tandem"].get("parameters") == ew["libmtl"].get("parameters") else "DIFFERENT"
            lines += ["", f"Parameters (encoder + heads): Tandem {ew['tandem'].get('parameters')}, "
                          f"LibMTL {ew['libmtl'].get('parameters')} ({same})."]
        others = [r for r in rows if r["group"] != "shared"]
        if others:
            lines += ["", "| strategy (Tandem only) | level | Tandem ms (min) | ratio to EW | goal | met | RSS / ΔRSS MiB |", "|" + "---|" * 7]
            for r in others:
                t = r["tandem"]
                goal = r.get("goal", "—")
                extra = ""
                if "versus_pcgrad" in r:
                    extra = f" (× PCGrad: {fmt(r['versus_pcgrad'], 2)})"
                if "versus_pcgrad_plus_forwards" in r:
                    extra = f" (÷ (PCGrad + one forward per candidate): {fmt(r['versus_pcgrad_plus_forwards'], 2)})"
                lines.append(f"| {r['strategy']} | {r['level']} | {fmt(t and t['median_ms'], 1)} ({fmt(t and t['min_ms'], 1)}) | "
                             f"{fmt(r['tandem_ratio'], 2)} ({fmt(r['tandem_min_ratio'], 2)}){extra} | {goal} | "
                             f"{fmt(r.get('met')) if 'met' in r else '—'} | {fmt(t and t['max_rss_mib'], 0)} / {fmt(t and t['work_rss_mib'], 0)} |")
        lines.append("")
    return "\n".join(lines)


LIBMTL_VERSION_NOTE = "1.1.5 (weighting classes called directly, see benchmarks/peer/strategies.py)"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("suite", choices=["core", "models", "data", "strategies"])
    parser.add_argument("--bench", default=os.path.join(ROOT, ".build-bench", "release", "tandem-bench"),
                        help="the tandem-bench executable (default: .build-bench/release/tandem-bench)")
    parser.add_argument("--python", default=os.path.join(HERE, ".venv", "bin", "python"),
                        help="the Python with torch (default: benchmarks/.venv/bin/python)")
    parser.add_argument("--only", action="append", default=[],
                        help="run only cases whose name contains this text (repeatable)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="rounds of back-to-back processes per case (default 5); each side reports the median"
                             " of its rounds' medians and its fastest repetition")
    parser.add_argument("--before", metavar="TANDEM_BENCH",
                        help="another tandem-bench build (e.g. of main) run as a third process in every round:"
                             " the table gains its median and the speed-up of this build over it")
    parser.add_argument("--quiet", type=float, default=0, metavar="SECONDS",
                        help="before each process wait up to this long for the other processes on the machine"
                             " to use under 15%% of the CPUs (shared machines)")
    parser.add_argument("--tandem-env", action="append", default=[], metavar="KEY=VALUE",
                        help="extra environment for the Tandem process, e.g. TANDEM_NUMERICS=native (docs/numerics.md)")
    parser.add_argument("--results", default=os.path.join(HERE, "results"), help="where tables are written")
    parser.add_argument("--group", action="append", choices=STRATEGY_GROUPS,
                        help="strategies suite: only these row groups (repeatable; default all): shared (both sides),"
                             " tandem-only, it (issue 14's IT cost); EW (and PCGrad for it) always run")
    parser.add_argument("--model", action="append", choices=[m["key"] for m in STRATEGY_MODELS],
                        help="strategies suite: only these models (repeatable; default both)")
    parser.add_argument("extra", nargs="*", help="key=value words passed to both sides (e.g. reps=20 min_time=5)")
    args = parser.parse_intermixed_args()

    global RESULTS_DIR, RESULTS_TMP
    RESULTS_DIR = args.results
    RESULTS_TMP = os.path.join(RESULTS_DIR, ".tmp")
    os.makedirs(RESULTS_TMP, exist_ok=True)
    if not os.access(args.bench, os.X_OK):
        sys.exit(f"compare.py: no tandem-bench at {args.bench}; build it with "
                 "`swift build -c release --scratch-path .build-bench --product tandem-bench`")
    if args.suite == "data":
        sys.exit(run_data(args))
    if not os.access(args.python, os.X_OK):
        sys.exit(f"compare.py: no Python at {args.python}; run `make bench-setup` first")
    if args.suite == "strategies":
        machine, results = run_strategies(args)
        markdown = strategies_markdown(args, machine, results)
        print()
        print(markdown)
        payload = dict(suite="strategies", machine=machine, rounds=args.rounds, rows=results)
        print(f"\nresults: {write_results('strategies', payload, markdown)}.{{md,json}}")
        sys.exit(1 if any(r["tandem"] is None for r in results) else 0)

    machine, rows = run_pairs(args, SUITES[args.suite])
    markdown = (f"# {args.suite} benchmark: Tandem vs PyTorch\n\n{machine['date']}, {machine['cpu']}, "
                f"{THREADS} threads per side, OpenBLAS core {machine['openblas_core']}, "
                f"load average before {machine['load_average_before'][0]:.2f}\n\n"
                f"Each case ran {args.rounds} rounds of fresh processes back to back (Tandem, then PyTorch"
                f"{', then the --before build' if args.before else ''}). median = median over the rounds of each"
                " process's median repetition; min = fastest single repetition of any round; ratio = Tandem / PyTorch"
                " (below 1: Tandem is faster); RSS = peak resident memory of each"
                " process (median over rounds); ΔRSS = peak RSS minus the RSS the process had before making any benchmark data"
                " (for PyTorch that excludes `import torch`).\n\n" + table(args.suite, rows))
    print()
    print(table(args.suite, rows))
    payload = dict(suite=args.suite, machine=machine, rows=rows)
    print(f"\nresults: {write_results(args.suite, payload, markdown)}.{{md,json}}")
    failed = any(row["tandem"] is None or row["pytorch"] is None for row in rows)
    sys.exit(1 if failed else 0)


RESULTS_DIR = RESULTS_TMP = None

if __name__ == "__main__":
    main()
