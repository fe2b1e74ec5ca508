#!/usr/bin/env python3
"""Side-by-side table of the Swift suite (package-benchmark's JMH export) and
bench_cpython.py's JSON: per-item times, CPython ÷ Swift, and the issue's
targets for the reference implementation.

    python3 compare.py --swift Current_run.jmh.json --python cpython.json [--smoke]

Headline figures are medians over the measured iterations, with the best
iteration in parentheses. Targets are reported (met / MISSED), never
asserted: the exit status is non-zero only when a workload is missing from
either side or the two sides ran different sizes. In smoke mode no target is
evaluated at all.
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


def summary(samples, n, scale):
    """(median, best) per item in the row's unit."""
    return statistics.median(samples) / n / scale, min(samples) / n / scale


def fmt(value):
    if value is None:
        return "—"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def cell(pair):
    if pair is None:
        return "—"
    median, best = pair
    return f"{fmt(median)} ({fmt(best)})"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--swift", required=True)
    parser.add_argument("--python", required=True)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()

    swift = load_swift(args.swift)
    python_version, python = load_python(args.python)
    problems = []

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
    if problems:
        print()
        for problem in problems:
            print(f"ERROR: {problem}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
