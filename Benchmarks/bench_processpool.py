#!/usr/bin/env python3
"""CPython's concurrent.futures.ProcessPoolExecutor on the process-pool
workloads, the twin of Sources/process-bench (keep them in step; compare.py
refuses rows whose sizes differ).

Every pool has 2 workers and uses Linux's default start method on 3.11,
'fork'; the pool-start workload is also measured with 'spawn'. A warm pool is
a fresh pool per run whose two workers have each answered one rendezvous call
before the clock starts; it is shut down (wait=True) after the clock stops.

  1. submit_collect  N submits of echo(i), then every result in order.
  2. round_trip      N x pool.submit(echo, i).result(), one at a time.
  3. map_chunked     list(pool.map(echo, range(N), chunksize=100)).
  4. pool_start      from ProcessPoolExecutor(...) until two rendezvous calls
                     have returned from two different workers: each call
                     creates its file in a scratch directory, then polls every
                     20 us until the other's file exists, so no worker can
                     answer before both are up and serving. The directory is
                     made and removed outside the clock; the shutdown too.
                     Keys fork.pool_start and spawn.pool_start; n = 2 workers,
                     times_s per run, not divided.
  5. primes_pool2    list(pool.map(is_prime, PRIMES)) (chunksize 1) on a warm
                     pool; serial.primes is the same list serially in this
                     process. n = 6 numbers, times_s per run, not divided.

Writes JSON: {"python": "CPython 3.11.7", "smoke": false,
"start_methods": {"fork": ..., "spawn": ...},
"results": [{"key": "fork.submit_collect", "n": 10000, "times_s": [...]}, ...]}
Batch times_s are one time per run in seconds: divide by n.

    python3 bench_processpool.py [--smoke] [--only WORKLOAD,...] [--out FILE]

CK_BENCH_SMOKE=1 in the environment also selects the smoke sizes.
"""

import argparse
import concurrent.futures as cf
import gc
import json
import math
import multiprocessing
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time

SEED_PRIMES = [
    112272535095293,
    112582705942171,
    112272535095293,
    115280095190773,
    115797848077099,
    1099726899285419,
]
SMOKE_PRIMES = [1000003, 1000033, 1000003, 1000037, 1000039, 1000001]
PRIME_VERDICTS = [True, True, True, True, True, False]
WORKERS = 2
MAP_CHUNKSIZE = 100
WORKLOADS = ["submit_collect", "round_trip", "map_chunked", "pool_start", "primes"]


def sizes(smoke):
    return {
        "submit_collect": 1_000 if smoke else 10_000,
        "round_trip": 100 if smoke else 2_000,
        "map_chunked": 1_000 if smoke else 10_000,
        "primes": SMOKE_PRIMES if smoke else SEED_PRIMES,
    }


def runs(smoke, workload):
    if smoke:
        return 3 if workload == "pool_start" else 1
    return 15 if workload == "pool_start" else 5


# The jobs. Module-level, so that 'spawn' workers can import them.
def echo(value):
    return value


def is_prime(n):
    """The seed's is_prime, verbatim."""
    if n < 2:
        return False
    if n == 2:
        return True
    if n % 2 == 0:
        return False
    sqrt_n = int(math.floor(math.sqrt(n)))
    for i in range(3, sqrt_n + 1, 2):
        if n % i == 0:
            return False
    return True


def rendezvous(directory, index, parties):
    """Holds the worker until all `parties` calls have started; returns its pid.
    The Swift twin is ProcessBenchJobs.Rendezvous."""
    open(os.path.join(directory, str(index)), "w").close()
    deadline = time.monotonic() + 10
    for other in range(parties):
        path = os.path.join(directory, str(other))
        while not os.path.exists(path):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{path} did not appear within 10 s")
            time.sleep(0.00002)
    return os.getpid()


def meet(pool, directory):
    """One rendezvous call per worker; checks that as many workers answered."""
    futures = [pool.submit(rendezvous, directory, index, WORKERS) for index in range(WORKERS)]
    pids = {future.result() for future in futures}
    if len(pids) != WORKERS:
        raise RuntimeError(f"{WORKERS} rendezvous calls were answered by {len(pids)} worker(s)")


def new_pool(method):
    return cf.ProcessPoolExecutor(max_workers=WORKERS, mp_context=multiprocessing.get_context(method))


def on_warm_pool(method, body):
    """Runs body(pool) on a fresh pool whose workers have all answered; only
    body's own clock counts. The collector is off meanwhile, as timeit does."""
    pool = new_pool(method)
    directory = tempfile.mkdtemp(prefix="ck-rendezvous-")
    try:
        meet(pool, directory)
        gc.disable()
        try:
            return body(pool)
        finally:
            gc.enable()
    finally:
        pool.shutdown(wait=True)
        shutil.rmtree(directory)


def submit_collect(pool, n):
    start = time.perf_counter()
    futures = [pool.submit(echo, i) for i in range(n)]
    total = sum(future.result() for future in futures)
    elapsed = time.perf_counter() - start
    assert total == n * (n - 1) // 2
    return elapsed


def round_trip(pool, n):
    start = time.perf_counter()
    total = 0
    for i in range(n):
        total += pool.submit(echo, i).result()
    elapsed = time.perf_counter() - start
    assert total == n * (n - 1) // 2
    return elapsed


def map_chunked(pool, n):
    start = time.perf_counter()
    results = list(pool.map(echo, range(n), chunksize=MAP_CHUNKSIZE))
    elapsed = time.perf_counter() - start
    assert len(results) == n and results[-1] == n - 1
    return elapsed


def pool_start(method):
    directory = tempfile.mkdtemp(prefix="ck-rendezvous-")
    try:
        start = time.perf_counter()
        pool = new_pool(method)
        meet(pool, directory)
        elapsed = time.perf_counter() - start
        pool.shutdown(wait=True)
        return elapsed
    finally:
        shutil.rmtree(directory)


def primes_pool(pool, numbers):
    start = time.perf_counter()
    verdicts = list(pool.map(is_prime, numbers))
    elapsed = time.perf_counter() - start
    assert verdicts == PRIME_VERDICTS
    return elapsed


def primes_serial(numbers):
    start = time.perf_counter()
    verdicts = [is_prime(n) for n in numbers]
    elapsed = time.perf_counter() - start
    assert verdicts == PRIME_VERDICTS
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, fewer runs")
    parser.add_argument("--only", help="comma-separated workloads: " + ", ".join(WORKLOADS))
    parser.add_argument("--out", default="-", help="where to write the JSON (default: stdout)")
    args = parser.parse_args()
    smoke = args.smoke or os.environ.get("CK_BENCH_SMOKE", "") not in ("", "0")
    only = set(args.only.split(",")) if args.only else set(WORKLOADS)
    unknown = only - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workload(s): {', '.join(sorted(unknown))}")
    size = sizes(smoke)
    results = []

    def record(key, n, times, per_item):
        results.append({"key": key, "n": n, "times_s": times})
        divisor, scale, unit = (n, 1e6, "µs per item") if per_item else (1, 1e3, "ms per run")
        print(
            f"  {key} n={n}: median {statistics.median(times) / divisor * scale:.2f}, "
            f"best {min(times) / divisor * scale:.2f}, worst {max(times) / divisor * scale:.2f} "
            f"{unit} over {len(times)} runs",
            file=sys.stderr,
        )

    print(f"CPython {platform.python_version()}, ProcessPoolExecutor, {WORKERS} workers "
          f"({'smoke' if smoke else 'full'} sizes); default start method "
          f"{multiprocessing.get_start_method()}", file=sys.stderr)
    method = "fork"
    for workload, body in (("submit_collect", submit_collect), ("round_trip", round_trip),
                           ("map_chunked", map_chunked)):
        if workload in only:
            n = size[workload]
            record(f"{method}.{workload}", n,
                   [on_warm_pool(method, lambda pool: body(pool, n)) for _ in range(runs(smoke, workload))], True)
    if "pool_start" in only:
        for start_method in ("fork", "spawn"):
            record(f"{start_method}.pool_start", WORKERS,
                   [pool_start(start_method) for _ in range(runs(smoke, "pool_start"))], False)
    if "primes" in only:
        numbers = size["primes"]
        record(f"{method}.primes_pool2", len(numbers),
               [on_warm_pool(method, lambda pool: primes_pool(pool, numbers)) for _ in range(runs(smoke, "primes"))],
               False)
        record("serial.primes", len(numbers), [primes_serial(numbers) for _ in range(runs(smoke, "primes"))], False)

    report = {
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "smoke": smoke,
        "start_methods": {"fork": "default on Linux for 3.11", "spawn": "pool_start only"},
        "results": results,
    }
    text = json.dumps(report, indent=2)
    if args.out == "-":
        print(text)
    else:
        with open(args.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
