"""The machine's practical fp32 peak: GFLOP/s of a square single-precision matmul (sgemm).

Runs numpy (its bundled BLAS) and torch (oneDNN/MKL) at 1 thread and at all threads and prints
one JSON object; bench/model.ts divides each backend's achieved GFLOP/s by the best of these.
A 2048^2 matmul is 2 * 2048^3 = 17.2 GFLOP (multiply-add counted as 2), large enough that BLAS
runs at its steady-state rate and small enough to take well under a second per call here.

Usage: .venv/bin/python bench/sgemm.py [--n 2048] [--reps 10]
"""

import argparse
import json
import os
import time

import numpy as np

try:
    import torch
except ImportError:  # numpy alone still gives a peak
    torch = None


def best_seconds(fn, reps: int) -> float:
    """Fastest of `reps` timed calls after one warm-up call (the minimum filters out the noise of
    a shared machine better than the mean)."""
    fn()
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def numpy_gflops(n: int, reps: int) -> float:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    return 2 * n**3 / best_seconds(lambda: a @ b, reps) / 1e9


def torch_gflops(n: int, reps: int, threads: int) -> float:
    torch.set_num_threads(threads)
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(n, n, generator=gen, dtype=torch.float32)
    b = torch.randn(n, n, generator=gen, dtype=torch.float32)
    return 2 * n**3 / best_seconds(lambda: torch.mm(a, b), reps) / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2048, help="matrix size (default 2048)")
    parser.add_argument("--reps", type=int, default=10, help="timed repetitions, best kept (default 10)")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    result = {"n": args.n, "cores": cores, "numpy": {}, "torch": {}}
    # numpy's BLAS thread count is fixed at import; report it at its default (all cores).
    result["numpy"][str(cores)] = round(numpy_gflops(args.n, args.reps), 2)
    if torch is not None:
        result["torchVersion"] = torch.__version__
        for threads in sorted({1, cores}):
            result["torch"][str(threads)] = round(torch_gflops(args.n, args.reps, threads), 2)
    every = list(result["numpy"].values()) + list(result["torch"].values())
    result["peakGflops"] = max(every)
    result["peakGflops1Thread"] = result["torch"].get("1")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
