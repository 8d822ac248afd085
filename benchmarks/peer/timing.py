"""Timing protocol shared by the PyTorch peers; the same as benchmarks/Swift/Timing.swift.

Run `warmup` untimed repetitions, then time single repetitions until at least `reps` were taken
AND at least `min_time` seconds passed (or `max_reps` were taken), and report the median.
Options are `key=value` words on the command line, exactly as tandem-bench takes them.
"""

import json
import resource
import statistics
import sys
import time

import torch

THREADS = 2
_baseline_rss_mib = None


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def setup_threads():
    """Same thread count as Tandem: two worker threads for intra-op parallelism."""
    global _baseline_rss_mib
    torch.set_num_threads(THREADS)
    torch.set_num_interop_threads(1)
    # Peak RSS after importing torch and running one tiny matmul and convolution (which load MKL
    # and oneDNN lazily), before any benchmark data: the runtime's own footprint.
    torch.mm(torch.ones(8, 8), torch.ones(8, 8))
    torch.nn.functional.conv2d(torch.ones(1, 1, 4, 4), torch.ones(1, 1, 3, 3))
    _baseline_rss_mib = peak_rss_mib()


def parse_options(argv):
    positional, values = [], {}
    for word in argv:
        if "=" in word:
            key, value = word.split("=", 1)
            values[key] = value
        else:
            positional.append(word)
    return positional, values


class Options:
    def __init__(self, argv):
        self.positional, self.values = parse_options(argv)

    def int(self, key, fallback):
        return int(self.values.get(key, fallback))

    def float(self, key, fallback):
        return float(self.values.get(key, fallback))

    def str(self, key, fallback):
        return self.values.get(key, fallback)

    def policy(self):
        return dict(warmup=self.int("warmup", 3), reps=self.int("reps", 10),
                    max_reps=self.int("max_reps", 200), min_time=self.float("min_time", 2.0))


def measure(policy, body):
    """Seconds per repetition of `body` (a list, in the order taken)."""
    for _ in range(policy["warmup"]):
        body()
    samples = []
    start = time.perf_counter()
    while len(samples) < policy["max_reps"] and (
            len(samples) < policy["reps"] or time.perf_counter() - start < policy["min_time"]):
        t0 = time.perf_counter()
        body()
        samples.append(time.perf_counter() - t0)
    return samples


def report(fields, samples):
    line = dict(fields)
    line.update(side="pytorch", median_ms=statistics.median(samples) * 1e3,
                mean_ms=statistics.fmean(samples) * 1e3, min_ms=min(samples) * 1e3,
                max_ms=max(samples) * 1e3, reps=len(samples), threads=torch.get_num_threads(),
                torch_version=torch.__version__, baseline_rss_mib=_baseline_rss_mib)
    print(json.dumps(line, sort_keys=True), flush=True)


def fail(message):
    print(f"peer: {message}", file=sys.stderr)
    sys.exit(2)
