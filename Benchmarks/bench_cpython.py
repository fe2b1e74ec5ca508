#!/usr/bin/env python3
"""CPython's concurrent.futures on the workloads of ThreadPoolBenchmarks.

The same workloads at the same sizes as Benchmarks/ThreadPoolBenchmarks and
Sources/PoolWorkloads (keep them in step; compare.py refuses rows whose sizes
differ). Each workload is timed with time.perf_counter() over several runs;
the pool is created and shut down outside the timed region, as in the Swift
suite. Writes JSON: {"python": ..., "smoke": ..., "results": [{"key", "n",
"times_s"}]}.

    python3 bench_cpython.py [--smoke] [--out FILE]

CK_BENCH_SMOKE=1 in the environment also selects the smoke sizes.
"""

import argparse
import concurrent.futures as cf
import gc
import json
import math
import os
import platform
import sys
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
WORKERS = 2


def sizes(smoke):
    return {
        "submit_jobs": 1_000 if smoke else 100_000,
        "round_trips": 100 if smoke else 10_000,
        "finished_futures": [100, 1_000, 10_000] if smoke else [10_000, 100_000, 1_000_000],
        "primes": SMOKE_PRIMES if smoke else SEED_PRIMES,
    }


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


def noop():
    return 0


def timed(body):
    """Runs body() once with the collector quiet, as timeit does."""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        value = body()
        return time.perf_counter() - start, value
    finally:
        if gc_was_enabled:
            gc.enable()


# 1. submit N no-op jobs, then collect every result
def submit_collect(n):
    with cf.ThreadPoolExecutor(max_workers=WORKERS) as pool:
        def body():
            futures = [pool.submit(noop) for _ in range(n)]
            return sum(f.result() for f in futures)
        elapsed, total = timed(body)
    assert total == 0
    return elapsed


# 2. one-at-a-time submit().result() round trips
def round_trip(n):
    with cf.ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for _ in range(10):  # start the worker before measuring
            pool.submit(noop).result()

        def body():
            total = 0
            for _ in range(n):
                total += pool.submit(noop).result()
            return total
        elapsed, total = timed(body)
    assert total == 0
    return elapsed


# 3. as_completed and wait over already-finished futures
def finished_futures(n):
    futures = []
    for _ in range(n):
        f = cf.Future()
        f.set_result(1)
        futures.append(f)
    return futures


def drain_as_completed(futures):
    count = 0
    for _ in cf.as_completed(futures):
        count += 1
    return count


def wait_all(futures):
    done, not_done = cf.wait(futures, timeout=None, return_when=cf.ALL_COMPLETED)
    return len(done)


# 4. is_prime over PRIMES, serially and on 2 threads
def primes_serial(numbers):
    return [is_prime(n) for n in numbers]


def primes_pool(numbers):
    with cf.ThreadPoolExecutor(max_workers=WORKERS) as pool:
        elapsed, verdicts = timed(lambda: list(pool.map(is_prime, numbers)))
    return elapsed, verdicts


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, 1 run each")
    parser.add_argument("--out", default="-", help="where to write the JSON (default: stdout)")
    args = parser.parse_args()
    smoke = args.smoke or os.environ.get("CK_BENCH_SMOKE", "") not in ("", "0")
    size = sizes(smoke)
    results = []

    def record(key, n, times):
        results.append({"key": key, "n": n, "times_s": times})
        best = min(times)
        print(f"  {key} n={n}: best {best:.4f} s over {len(times)} runs", file=sys.stderr)

    def runs(full):
        return 1 if smoke else full

    print(f"CPython {platform.python_version()} ({'smoke' if smoke else 'full'} sizes)", file=sys.stderr)

    n = size["submit_jobs"]
    record("submit_collect.reference", n, [submit_collect(n) for _ in range(runs(5))])

    n = size["round_trips"]
    record("round_trip.reference", n, [round_trip(n) for _ in range(runs(5))])

    for n in size["finished_futures"]:
        futures = finished_futures(n)
        count = 3 if n >= 1_000_000 else 5 if n >= 100_000 else 10
        times = []
        for _ in range(runs(count)):
            elapsed, yielded = timed(lambda: drain_as_completed(futures))
            assert yielded == n
            times.append(elapsed)
        record("as_completed.finished", n, times)
        times = []
        for _ in range(runs(count)):
            elapsed, done = timed(lambda: wait_all(futures))
            assert done == n
            times.append(elapsed)
        record("wait.finished", n, times)
        del futures

    numbers = size["primes"]
    expected = [True, True, True, True, True, False]  # the last number is composite
    times = []
    for _ in range(runs(3)):
        elapsed, verdicts = timed(lambda: primes_serial(numbers))
        assert verdicts == expected
        times.append(elapsed)
    record("primes.serial", len(numbers), times)
    times = []
    for _ in range(runs(3)):
        elapsed, verdicts = primes_pool(numbers)
        assert verdicts == expected
        times.append(elapsed)
    record("primes.pool2", len(numbers), times)

    report = {
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "smoke": smoke,
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
