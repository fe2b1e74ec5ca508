#!/usr/bin/env python3
"""CPython's asyncio event loop (and uvloop, when installed) on the event-loop
workloads of issue 4.

The same workloads at the same sizes as the Swift event-loop suite (keep them
in step; compare.py refuses rows whose sizes differ):

  1. call_soon           N no-op callbacks scheduled with loop.call_soon from
                         inside the running loop; timed from the first
                         call_soon to the moment the last callback runs.
  2. create_task_gather  N tasks, each awaiting asyncio.sleep(0), made with
                         loop.create_task, then await asyncio.gather(*tasks);
                         timed from the first create_task to gather's return.
  3. call_later          N timers with delays uniform in [0, 10 ms] drawn from
                         random.Random(42) before timing; timed from the first
                         call_later to the moment the last timer fires.
  4. sleep_overshoot     N successive asyncio.sleep(0.010); each sample is
                         time.perf_counter() elapsed minus 10 ms.

Each workload runs on a fresh loop per run: asyncio.new_event_loop() and, if
`import uvloop` works, uvloop.new_event_loop(). Making and closing the loop
is outside the timed region, as the pool is in bench_cpython.py, and the
collector is off while the loop runs, as timeit does.

Writes JSON in bench_cpython.py's shape, so compare.py's load_python reads it:

    {"python": "CPython 3.11.7", "smoke": false,
     "loops": {"asyncio": "3.11.7", "uvloop": "0.23.0"},
     "results": [{"key": "asyncio.call_soon", "n": 1000000, "times_s": [...]},
                 ...]}

Keys are "<loop>.<workload>". For workloads 1-3, times_s holds one batch time
per run in seconds: divide by n for the per-item time. Workload 4 is a
distribution, not a batch, so it becomes three keys,
"<loop>.sleep_overshoot_p50", "_p99" and "_max": n is the number of sleeps
per run (the size compare.py checks) and times_s holds that statistic of each
run, in seconds, NOT to be divided by n (as compare.py already does for
"primes.*"). Percentiles are nearest-rank, sorted[ceil(q * n) - 1], so the
Swift side can reproduce them exactly; negative overshoots (a timer firing
early against perf_counter) are kept as they are.

    python3 bench_asyncio.py [--smoke] [--loop asyncio|uvloop|all] [--out FILE]

CK_BENCH_SMOKE=1 in the environment also selects the smoke sizes. Without
uvloop its keys are left out, with a note on stderr; that is not an error.
"""

import argparse
import asyncio
import contextlib
import gc
import json
import math
import os
import platform
import random
import statistics
import sys
import time

SLEEP_S = 0.010
TIMER_MAX_DELAY_S = 0.010
TIMER_SEED = 42
OVERSHOOT_QUANTILES = [("p50", 0.50), ("p99", 0.99), ("max", 1.0)]


def sizes(smoke):
    return {
        "call_soon": 1_000 if smoke else 1_000_000,
        "create_task_gather": 1_000 if smoke else 100_000,
        "call_later": 1_000 if smoke else 1_000_000,
        "sleep_overshoot": 20 if smoke else 200,
    }


def loop_factories(wanted):
    """{loop name: new_event_loop} for the loops asked for and importable."""
    factories = {}
    if wanted in ("asyncio", "all"):
        factories["asyncio"] = asyncio.new_event_loop
    if wanted in ("uvloop", "all"):
        try:
            import uvloop
        except ImportError:
            print(
                "uvloop is not installed: its rows are left out. "
                "To include them: python3 -m pip install --user uvloop",
                file=sys.stderr,
            )
        else:
            factories["uvloop"] = uvloop.new_event_loop
    return factories


def loop_version(name):
    if name == "uvloop":
        import uvloop
        return uvloop.__version__
    return platform.python_version()


@contextlib.contextmanager
def quiet_gc():
    """The collector off for the duration, as timeit does."""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc_was_enabled:
            gc.enable()


def run_on_fresh_loop(new_loop, make_coroutine):
    """Runs one coroutine on a new loop and returns its result; the loop is
    made and closed outside the coroutine, so outside any timed region."""
    loop = new_loop()
    # PYTHONASYNCIODEBUG or -X dev would turn on debug mode, which records a
    # traceback per handle and multiplies the times: never measure that.
    loop.set_debug(False)
    try:
        with quiet_gc():
            return loop.run_until_complete(make_coroutine())
    finally:
        loop.close()


def noop():
    pass


# 1. call_soon: N no-op callbacks, then one more that stops the clock.
async def call_soon_batch(n):
    loop = asyncio.get_running_loop()
    finished = loop.create_future()

    def last():
        # Ready callbacks run in the order they were scheduled, so when this
        # one runs, all n no-ops before it have run.
        finished.set_result(time.perf_counter())

    start = time.perf_counter()
    for _ in range(n):
        loop.call_soon(noop)
    loop.call_soon(last)
    return await finished - start


# 2. N tasks that each yield once, gathered.
async def sleep_zero():
    await asyncio.sleep(0)


async def create_task_gather(n):
    loop = asyncio.get_running_loop()
    start = time.perf_counter()
    tasks = [loop.create_task(sleep_zero()) for _ in range(n)]
    results = await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    assert len(results) == n
    return elapsed


# 3. N call_later timers over a 10 ms window, until the last one fires.
def timer_delays(n):
    """The same delays for every run and every loop."""
    rng = random.Random(TIMER_SEED)
    return [rng.uniform(0.0, TIMER_MAX_DELAY_S) for _ in range(n)]


async def call_later_batch(delays):
    loop = asyncio.get_running_loop()
    finished = loop.create_future()
    remaining = len(delays)

    def fire():
        # Timers with equal deadlines fire in no set order, and later
        # call_later calls see a later clock, so the last to fire is not
        # known in advance: count them down.
        nonlocal remaining
        remaining -= 1
        if remaining == 0:
            finished.set_result(time.perf_counter())

    start = time.perf_counter()
    for delay in delays:
        loop.call_later(delay, fire)
    return await finished - start


# 4. asyncio.sleep(10 ms), one after another: how late each wakes up.
async def sleep_overshoots(n):
    overshoots = []
    for _ in range(n):
        start = time.perf_counter()
        await asyncio.sleep(SLEEP_S)
        overshoots.append(time.perf_counter() - start - SLEEP_S)
    return overshoots


def nearest_rank(sorted_samples, q):
    return sorted_samples[max(0, math.ceil(q * len(sorted_samples)) - 1)]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, 1 run each")
    parser.add_argument("--loop", choices=["asyncio", "uvloop", "all"], default="all",
                        help="which event loop(s) to measure (default: all)")
    parser.add_argument("--out", default="-", help="where to write the JSON (default: stdout)")
    args = parser.parse_args()
    smoke = args.smoke or os.environ.get("CK_BENCH_SMOKE", "") not in ("", "0")
    size = sizes(smoke)
    results = []

    def record(key, n, times):
        results.append({"key": key, "n": n, "times_s": times})
        best, median = min(times), statistics.median(times)
        print(
            f"  {key} n={n}: best {best:.4f} s, median {median:.4f} s over {len(times)} runs"
            f" ({best / n * 1e6:.3f} / {median / n * 1e6:.3f} µs per item)",
            file=sys.stderr,
        )

    def runs(n):
        """bench_cpython.py's counts: fewer runs for the bigger batches."""
        if smoke:
            return 1
        return 3 if n >= 1_000_000 else 5 if n >= 100_000 else 10

    print(f"CPython {platform.python_version()} ({'smoke' if smoke else 'full'} sizes)", file=sys.stderr)
    factories = loop_factories(args.loop)
    delays = timer_delays(size["call_later"])

    for name, new_loop in factories.items():
        print(f"{name} {loop_version(name)}", file=sys.stderr)

        n = size["call_soon"]
        record(f"{name}.call_soon", n,
               [run_on_fresh_loop(new_loop, lambda: call_soon_batch(n)) for _ in range(runs(n))])

        n = size["create_task_gather"]
        record(f"{name}.create_task_gather", n,
               [run_on_fresh_loop(new_loop, lambda: create_task_gather(n)) for _ in range(runs(n))])

        n = size["call_later"]
        record(f"{name}.call_later", n,
               [run_on_fresh_loop(new_loop, lambda: call_later_batch(delays)) for _ in range(runs(n))])

        # 200 sleeps of 10 ms take 2 s a run: 3 runs, like the 1M batches.
        n = size["sleep_overshoot"]
        per_run = {label: [] for label, _ in OVERSHOOT_QUANTILES}
        for _ in range(1 if smoke else 3):
            overshoots = sorted(run_on_fresh_loop(new_loop, lambda: sleep_overshoots(n)))
            for label, q in OVERSHOOT_QUANTILES:
                per_run[label].append(nearest_rank(overshoots, q))
        for label, _ in OVERSHOOT_QUANTILES:
            results.append({"key": f"{name}.sleep_overshoot_{label}", "n": n, "times_s": per_run[label]})
        print(
            f"  {name}.sleep_overshoot n={n}: median over {len(per_run['p50'])} runs of "
            + ", ".join(f"{label} {statistics.median(per_run[label]) * 1e6:.0f} µs" for label, _ in OVERSHOOT_QUANTILES)
            + " (per run: "
            + "; ".join(f"{label} " + "/".join(f"{v * 1e6:.0f}" for v in per_run[label])
                        for label, _ in OVERSHOOT_QUANTILES)
            + " µs)",
            file=sys.stderr,
        )

    report = {
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "smoke": smoke,
        "loops": {name: loop_version(name) for name in factories},
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
