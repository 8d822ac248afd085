#!/usr/bin/env python3
"""Runs Tandem and its PyTorch peer side by side and prints one comparison table.

    python3 benchmarks/compare.py core      # sgemm, conv, transposed conv (issue 2)
    python3 benchmarks/compare.py models    # full training steps of MultiLeNet and SplitVGG (issue 3)
    python3 benchmarks/compare.py data      # synthetic-scenes generation (Tandem only, no peer)

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
]

SUITES = {"core": CORE_CASES, "models": MODEL_CASES}


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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("suite", choices=["core", "models", "data"])
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
                        help="extra environment for the Tandem process, e.g. OPENBLAS_CORETYPE=SkylakeX")
    parser.add_argument("--results", default=os.path.join(HERE, "results"), help="where tables are written")
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
