#!/usr/bin/env python3
"""Side-by-side tables of the Swift suites and their CPython twins: per-item
times, CPython ÷ Swift, and the issue's targets for the reference
implementation.

  - thread pool: package-benchmark's JMH export (ThreadPoolBenchmarks) against
    bench_cpython.py's JSON (concurrent.futures);
  - event loop: loop-bench's JSON (SerialEventLoop, plus a Swift TaskGroup
    row) against bench_asyncio.py's JSON (asyncio and, when installed, uvloop);
  - process pool: process-bench's JSON (ProcessPoolExecutor, workers that
    re-launch process-bench and, when built, the minimal worker program)
    against bench_processpool.py's JSON (fork, and spawn for the pool start).

    python3 compare.py --swift Current_run.jmh.json --python cpython.json \
                       --loop-swift loop-swift.json --loop-python asyncio.json \
                       --process-swift process-swift.json --process-python processpool.json [--smoke]

Any pair may be left out; at least one is needed. Headline figures are
medians over the measured iterations (runs), with the best in parentheses.
Targets are reported (met / MISSED), never asserted: the exit status is
non-zero only when a workload is missing from either side or the two sides
ran different sizes. In smoke mode no target is evaluated at all.
"""

import argparse
import json
import re
import statistics
import sys

# key -> (label, unit, scale of one item in seconds, target per item or None)
ROWS = [
    ("submit_collect.reference", "submit N no-op jobs, then collect all (2 workers)", "µs/job", 1e-6, 0.3),
    ("submit_collect.dispatch", "  same, plain Dispatch (concurrent queue + group)", "µs/job", 1e-6, None),
    ("round_trip.reference", "submit().result() round trip, one at a time", "µs/trip", 1e-6, 10.0),
    ("as_completed.finished", "asCompleted over finished futures", "µs/future", 1e-6, 0.2),
    ("wait.finished", "wait(ALL_COMPLETED) over finished futures", "µs/future", 1e-6, 0.2),
    ("primes.serial", "is_prime over PRIMES, serial", "ms/all", 1e-3, None),
    ("primes.pool2", "is_prime over PRIMES, pool.map on 2 workers", "ms/all", 1e-3, None),
]
SPEEDUP_TARGET = 1.7
LINEARITY_TOLERANCE = 1.5  # per-future cost at the largest n within 1.5x of the smallest

# The event-loop table: workload -> (label, unit, scale of one item in
# seconds, divide the times by n?, target per item or None). The Swift key is
# "reference.<workload>", the CPython keys "asyncio.<workload>" and
# "uvloop.<workload>".
LOOP_ROWS = [
    ("call_soon", "call_soon N no-op callbacks, until the last has run", "µs/callback", 1e-6, True, 0.1),
    ("create_task_gather", "create_task N tasks (each sleep(0)), then gather", "µs/task", 1e-6, True, 1.0),
    ("call_later", "call_later N timers, delays in [0, 10 ms], until the last fires", "µs/timer", 1e-6, True, 1.0),
    ("sleep_overshoot_p50", "sleep(10 ms) overshoot, p50 of N sleeps", "µs", 1e-6, False, None),
    ("sleep_overshoot_p99", "sleep(10 ms) overshoot, p99 of N sleeps", "µs", 1e-6, False, 200.0),
    ("sleep_overshoot_max", "sleep(10 ms) overshoot, max of N sleeps", "µs", 1e-6, False, None),
]
# Swift-only rows, shown under the reference's row of the same workload.
LOOP_EXTRA_ROWS = {
    "create_task_gather": [
        ("swift-taskgroup", "  same shape, Swift TaskGroup (children await Task.yield())"),
    ],
}
PYTHON_LOOPS = ["asyncio", "uvloop"]

# The process-pool table: workload -> (label, unit, scale of one item in
# seconds, divide the times by n?, target or None). Swift keys are
# "self.<workload>" (workers re-launch process-bench) and
# "minimal.<workload>" (process-bench-worker); CPython keys
# "fork.<workload>" and, for the pool start, "spawn.pool_start".
PROCESS_ROWS = [
    ("submit_collect", "submit N Echo jobs, then collect all (2 warm workers)", "µs/job", 1e-6, True, 20.0),
    ("round_trip", "submit(Echo).result() round trip, one at a time (warm)", "µs/trip", 1e-6, True, 80.0),
    ("map_chunked", "map(Echo over N items, chunksize 100), every result (warm)", "µs/item", 1e-6, True, 2.0),
    ("pool_start", "pool start: new pool until both workers answered a rendezvous call", "ms", 1e-3, False, 5.0),
    ("primes_pool2", "is_prime over PRIMES, map on 2 warm workers", "ms/all", 1e-3, False, None),
]
PROCESS_SPEEDUP_TARGET = 1.6


def load_swift(path):
    """{(key, n): [seconds per iteration]} from package-benchmark's JMH export."""
    results = {}
    for element in json.load(open(path)):
        match = re.search(r"\.ThreadPoolBenchmarks\.(.+)_n=(\d+)$", element["benchmark"])
        if not match:
            continue
        wall = element.get("secondaryMetrics", {}).get("Time (wall clock)")
        if wall is None:
            sys.exit(f"{element['benchmark']}: no wall clock in the export")
        if wall["scoreUnit"] != "μs":
            sys.exit(f"{element['benchmark']}: unexpected unit {wall['scoreUnit']!r}")
        samples = [value * 1e-6 for run in wall["rawData"] for value in run]
        results[(match.group(1), int(match.group(2)))] = samples
    return results


def load_python(path):
    report = json.load(open(path))
    return report["python"], {(r["key"], r["n"]): r["times_s"] for r in report["results"]}


def load_loop_report(path):
    """(report, {(key, n): times_s}) from loop-bench's or bench_asyncio.py's JSON."""
    report = json.load(open(path))
    return report, {(r["key"], r["n"]): r["times_s"] for r in report["results"]}


def summary(samples, n, scale):
    """(median, best) per item in the row's unit."""
    return statistics.median(samples) / n / scale, min(samples) / n / scale


def fmt(value):
    if value is None:
        return "—"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def cell(pair):
    if pair is None:
        return "—"
    median, best = pair
    return f"{fmt(median)} ({fmt(best)})"


def pool_table(args, problems):
    """The thread-pool table (ThreadPoolBenchmarks against bench_cpython.py)."""
    swift = load_swift(args.swift)
    python_version, python = load_python(args.python)

    header = ["workload", "n", "unit", "Swift reference", "CPython TPE", "CPython ÷ Swift", "target (reference)"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    per_item = {}
    for key, label, unit, scale, target in ROWS:
        swift_ns = sorted(n for (k, n) in swift if k == key)
        python_ns = sorted(n for (k, n) in python if k == key)
        if key.endswith(".dispatch"):
            python_ns = swift_ns  # Swift only: Dispatch has no CPython twin
        if not swift_ns:
            problems.append(f"{key}: missing from the Swift results")
            continue
        if swift_ns != python_ns:
            problems.append(f"{key}: sizes differ, Swift {swift_ns} vs CPython {python_ns}")
            continue
        for n in swift_ns:
            divisor = 1 if key.startswith("primes.") else n
            s = summary(swift[(key, n)], divisor, scale)
            p = summary(python[(key, n)], divisor, scale) if (key, n) in python else None
            per_item[(key, n)] = (s, p)
            ratio = f"{p[0] / s[0]:.1f}×" if p else "—"
            if target is None or args.smoke:
                verdict = "—" if target is None else f"≤ {fmt(target)} (not checked in smoke)"
            else:
                verdict = f"≤ {fmt(target)}: {'met' if s[0] <= target else 'MISSED'}"
            lines.append(f"| {label} | {n:,} | {unit} | {cell(s)} | {cell(p)} | {ratio} | {verdict} |")

    notes = []
    # Speedup of pool.map over the serial loop, both sides.
    serial = [(k, n) for (k, n) in per_item if k == "primes.serial"]
    pooled = [(k, n) for (k, n) in per_item if k == "primes.pool2"]
    if serial and pooled:
        (s_serial, p_serial), (s_pool, p_pool) = per_item[serial[0]], per_item[pooled[0]]
        swift_speedup = s_serial[0] / s_pool[0]
        python_speedup = p_serial[0] / p_pool[0]
        verdict = (
            "(not checked in smoke)" if args.smoke
            else f"{'met' if swift_speedup >= SPEEDUP_TARGET else 'MISSED'}"
        )
        lines.append(
            f"| speedup of pool.map (2 workers) over serial | {serial[0][1]} | × | "
            f"{swift_speedup:.2f}× | {python_speedup:.2f}× | — | ≥ {SPEEDUP_TARGET}×: {verdict} |"
        )
    # Linearity: per-future cost at the largest n against the smallest.
    for key in ("as_completed.finished", "wait.finished"):
        ns = sorted(n for (k, n) in per_item if k == key)
        if len(ns) >= 2:
            small, large = per_item[(key, ns[0])][0][0], per_item[(key, ns[-1])][0][0]
            growth = large / small
            verdict = "" if args.smoke else (
                f" (within {LINEARITY_TOLERANCE}×: linear)" if growth <= LINEARITY_TOLERANCE
                else f" (more than {LINEARITY_TOLERANCE}×: per-future time grows with n)"
            )
            notes.append(
                f"{key}: median time per future at n={ns[-1]:,} is {growth:.2f}× that at n={ns[0]:,}{verdict}"
            )
    dispatch = [n for (k, n) in per_item if k == "submit_collect.dispatch"]
    if dispatch and ("submit_collect.reference", dispatch[0]) in per_item:
        reference = per_item[("submit_collect.reference", dispatch[0])][0][0]
        plain = per_item[("submit_collect.dispatch", dispatch[0])][0][0]
        notes.append(f"submit+collect: the reference takes {reference / plain:.1f}× plain Dispatch's time per job")

    print(f"Swift: package-benchmark wall clock; CPython: {python_version}, time.perf_counter.")
    print("Cells: median (best) per item. CPython ÷ Swift > 1 means the Swift reference is faster.")
    if args.smoke:
        print("SMOKE sizes: the figures only prove that everything runs; no target is evaluated.")
    print()
    print("\n".join(lines))
    if notes:
        print()
        for note in notes:
            print(f"- {note}")


def ratio_cell(numerator, denominator):
    """numerator ÷ denominator of two (median, best) cells, on the medians."""
    if numerator is None or denominator is None or denominator[0] <= 0 or numerator[0] <= 0:
        return "—"
    return f"{numerator[0] / denominator[0]:.1f}×"


def loop_table(args, problems):
    """The event-loop table (loop-bench against bench_asyncio.py)."""
    swift_report, swift = load_loop_report(args.loop_swift)
    python_report, python = load_loop_report(args.loop_python)
    loops = python_report.get("loops", {})
    missing_loops = [name for name in PYTHON_LOOPS if name not in loops]

    header = ["workload", "n", "unit", "Swift reference", "asyncio", "uvloop",
              "asyncio ÷ Swift", "uvloop ÷ Swift", "target (reference)"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    cells = {}  # (implementation, workload) -> (median, best)
    for workload, label, unit, scale, per_item, target in LOOP_ROWS:
        key = f"reference.{workload}"
        swift_ns = sorted(n for (k, n) in swift if k == key)
        if not swift_ns:
            problems.append(f"{key}: missing from the loop-bench results")
            continue
        if len(swift_ns) > 1:
            problems.append(f"{key}: more than one size in the loop-bench results: {swift_ns}")
            continue
        n = swift_ns[0]
        row = {}
        for name in PYTHON_LOOPS:
            if name in missing_loops:
                continue
            python_ns = sorted(m for (k, m) in python if k == f"{name}.{workload}")
            if python_ns != swift_ns:
                problems.append(f"{name}.{workload}: sizes differ, Swift {swift_ns} vs {name} {python_ns}")
                continue
            row[name] = summary(python[(f"{name}.{workload}", n)], n if per_item else 1, scale)
            cells[(name, workload)] = row[name]
        s = summary(swift[(key, n)], n if per_item else 1, scale)
        cells[("reference", workload)] = s
        if target is None or args.smoke:
            verdict = "—" if target is None else f"≤ {fmt(target)} (not checked in smoke)"
        else:
            verdict = f"≤ {fmt(target)}: {'met' if s[0] <= target else 'MISSED'}"
        lines.append(
            f"| {label} | {n:,} | {unit} | {cell(s)} | {cell(row.get('asyncio'))} | {cell(row.get('uvloop'))} | "
            f"{ratio_cell(row.get('asyncio'), s)} | {ratio_cell(row.get('uvloop'), s)} | {verdict} |"
        )
        for implementation, extra_label in LOOP_EXTRA_ROWS.get(workload, []):
            extra_key = f"{implementation}.{workload}"
            extra_ns = sorted(m for (k, m) in swift if k == extra_key)
            if extra_ns != swift_ns:
                problems.append(f"{extra_key}: sizes differ, {extra_ns} vs the reference's {swift_ns}")
                continue
            e = summary(swift[(extra_key, n)], n if per_item else 1, scale)
            cells[(implementation, workload)] = e
            lines.append(f"| {extra_label} | {n:,} | {unit} | {cell(e)} | — | — | — | — | — |")

    notes = []
    group = cells.get(("swift-taskgroup", "create_task_gather"))
    reference = cells.get(("reference", "create_task_gather"))
    if group and reference and group[0] > 0:
        others = "".join(
            f", {name} {cells[(name, 'create_task_gather')][0] / group[0]:.1f}×"
            for name in PYTHON_LOOPS if (name, "create_task_gather") in cells
        )
        notes.append(
            "create_task_gather against Swift TaskGroup (global executor, every core), "
            f"time per task as a multiple of TaskGroup's: reference {reference[0] / group[0]:.1f}×{others}"
        )
    if missing_loops:
        notes.append(
            f"not measured: {', '.join(missing_loops)} (not installed for {python_report.get('python', 'python3')}; "
            "python3 -m pip install --user uvloop)"
        )

    versions = ", ".join(f"{name} {version}" for name, version in loops.items())
    print("Event loop: SerialEventLoop against asyncio and uvloop")
    print()
    print(f"Swift: {swift_report.get('swift', 'loop-bench')}, SerialEventLoop in real-clock mode; "
          f"CPython: {python_report.get('python', '?')} ({versions}), time.perf_counter.")
    print("Cells: median (best) over the runs; per item for the batches, per run for the overshoot percentiles. "
          "asyncio ÷ Swift > 1 means the Swift reference is faster (or, for overshoots, more punctual).")
    if swift_report.get("smoke") != python_report.get("smoke"):
        problems.append("loop-bench and bench_asyncio.py ran in different modes (smoke against full)")
    if args.smoke:
        print("SMOKE sizes: the figures only prove that everything runs; no target is evaluated.")
    print()
    print("\n".join(lines))
    if notes:
        print()
        for note in notes:
            print(f"- {note}")


def process_table(args, problems):
    """The process-pool table (process-bench against bench_processpool.py)."""
    swift_report, swift = load_loop_report(args.process_swift)
    python_report, python = load_loop_report(args.process_python)
    programs = swift_report.get("programs", {})
    has_minimal = "minimal" in programs

    header = ["workload", "n", "unit", "Swift, self re-launch", "Swift, minimal worker", "CPython fork",
              "CPython spawn", "fork ÷ Swift (self / minimal)", "target (Swift)"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    cells = {}  # (side, workload) -> (median, best)

    def verdict(target, pairs):
        if target is None:
            return "—"
        if args.smoke:
            return f"≤ {fmt(target)} (not checked in smoke)"
        parts = [f"{name} {'met' if pair[0] <= target else 'MISSED'}" for name, pair in pairs if pair]
        return f"≤ {fmt(target)}: " + ", ".join(parts)

    for workload, label, unit, scale, per_item, target in PROCESS_ROWS:
        key = f"self.{workload}"
        swift_ns = sorted(n for (k, n) in swift if k == key)
        if not swift_ns:
            problems.append(f"{key}: missing from the process-bench results")
            continue
        n = swift_ns[0]
        row = {}
        for side, results, required in (("self", swift, True), ("minimal", swift, False),
                                        ("fork", python, True), ("spawn", python, False)):
            side_ns = sorted(m for (k, m) in results if k == f"{side}.{workload}")
            if not side_ns:
                if required:
                    problems.append(f"{side}.{workload}: missing")
                continue
            if side_ns != swift_ns:
                problems.append(f"{side}.{workload}: sizes differ, {side_ns} vs self's {swift_ns}")
                continue
            row[side] = summary(results[(f"{side}.{workload}", n)], n if per_item else 1, scale)
            cells[(side, workload)] = row[side]
        ratios = ratio_cell(row.get("fork"), row.get("self"))
        if "minimal" in row:
            ratios += " / " + ratio_cell(row.get("fork"), row.get("minimal"))
        lines.append(
            f"| {label} | {n:,} | {unit} | {cell(row.get('self'))} | {cell(row.get('minimal'))} | "
            f"{cell(row.get('fork'))} | {cell(row.get('spawn'))} | {ratios} | "
            f"{verdict(target, [('self', row.get('self')), ('minimal', row.get('minimal'))])} |"
        )

    # The serial baseline and the speedups.
    serial_ns = sorted(n for (k, n) in swift if k == "serial.primes")
    python_serial_ns = sorted(n for (k, n) in python if k == "serial.primes")
    if not serial_ns or serial_ns != python_serial_ns:
        problems.append(f"serial.primes: missing or sizes differ, Swift {serial_ns} vs CPython {python_serial_ns}")
    else:
        n = serial_ns[0]
        s = summary(swift[("serial.primes", n)], 1, 1e-3)
        p = summary(python[("serial.primes", n)], 1, 1e-3)
        lines.append(f"| is_prime over PRIMES, serial (in process) | {n:,} | ms/all | {cell(s)} | — | {cell(p)} | — | "
                     f"{ratio_cell(p, s)} | — |")

        def speedup(side, serial):
            pool = cells.get((side, "primes_pool2"))
            return serial[0] / pool[0] if pool and pool[0] > 0 else None

        speedups = {side: speedup(side, s if side in ("self", "minimal") else p) for side in ("self", "minimal", "fork")}

        def speedup_cell(value):
            return "—" if value is None else f"{value:.2f}×"

        lines.append(
            f"| speedup of map on 2 workers over serial | {n:,} | × | {speedup_cell(speedups['self'])} | "
            f"{speedup_cell(speedups['minimal'])} | {speedup_cell(speedups['fork'])} | — | — | "
            + (f"≥ {PROCESS_SPEEDUP_TARGET}× (not checked in smoke)" if args.smoke else
               f"≥ {PROCESS_SPEEDUP_TARGET}×: " + ", ".join(
                   f"{side} {'met' if value >= PROCESS_SPEEDUP_TARGET else 'MISSED'}"
                   for side, value in (("self", speedups["self"]), ("minimal", speedups["minimal"])) if value is not None))
            + " |"
        )

    print("Process pool: ProcessPoolExecutor against CPython's ProcessPoolExecutor")
    print()
    print(f"Swift: {swift_report.get('swift', 'process-bench')}; workers are process-bench re-launched "
          "(WorkerProgram.currentExecutable)" + (" and, in the second column, process-bench-worker "
          "(ConcurrencyWorker and the jobs only, -static-stdlib)" if has_minimal else "") + ". "
          f"CPython: {python_report.get('python', '?')}, fork (3.11's default on Linux) and spawn, time.perf_counter.")
    print("Cells: median (best) over the runs; per item for the batches, per run for the pool start and primes. "
          "fork ÷ Swift > 1 means the Swift reference is faster.")
    if not has_minimal:
        print("The minimal worker was not built: its column is empty "
              "(swift build -c release --product process-bench-worker).")
    if swift_report.get("smoke") != python_report.get("smoke"):
        problems.append("process-bench and bench_processpool.py ran in different modes (smoke against full)")
    if args.smoke:
        print("SMOKE sizes: the figures only prove that everything runs; no target is evaluated.")
    print()
    print("\n".join(lines))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--swift", help="package-benchmark's JMH export (thread pool)")
    parser.add_argument("--python", help="bench_cpython.py's JSON (thread pool)")
    parser.add_argument("--loop-swift", help="loop-bench's JSON (event loop)")
    parser.add_argument("--loop-python", help="bench_asyncio.py's JSON (event loop)")
    parser.add_argument("--process-swift", help="process-bench's JSON (process pool)")
    parser.add_argument("--process-python", help="bench_processpool.py's JSON (process pool)")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    if (bool(args.swift) != bool(args.python) or bool(args.loop_swift) != bool(args.loop_python)
            or bool(args.process_swift) != bool(args.process_python)):
        parser.error("--swift and --python go together, as do --loop-swift and --loop-python, "
                     "and --process-swift and --process-python")
    if not args.swift and not args.loop_swift and not args.process_swift:
        parser.error("nothing to compare: give --swift/--python, --loop-swift/--loop-python "
                     "or --process-swift/--process-python")

    problems = []
    if args.swift:
        pool_table(args, problems)
    if args.loop_swift:
        if args.swift:
            print()
        loop_table(args, problems)
    if args.process_swift:
        if args.swift or args.loop_swift:
            print()
        process_table(args, problems)
    if problems:
        print()
        for problem in problems:
            print(f"ERROR: {problem}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
