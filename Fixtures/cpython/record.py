#!/usr/bin/env python3
"""Records the CPython golden traces of Fixtures/traces/.

    python3 Fixtures/cpython/record.py            # regenerate every trace
    python3 Fixtures/cpython/record.py --check    # regenerate into a temp dir, diff with the committed ones
    python3 Fixtures/cpython/record.py s13_as_completed m01_future_callbacks   # only these

Every scenario runs RUNS times, each in a fresh interpreter. A trace keeps
only what was the same in every run: the events (name, actor, payload) in
order - or as a multiset where the scenario or an event's "set" label says the
order is undefined - and each event's time bucket (round(t / unit)), which
becomes null when the runs disagree. If the events themselves differ between
runs the scenario is unstable and recording fails: fix the scenario, or
declare the undefined order.
"""

import argparse
import difflib
import json
import math
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.dirname(HERE)
TRACES = os.path.join(FIXTURES, "traces")
RUNS = 3
MODULES = ["scenarios_asyncio", "scenarios_futures", "scenarios_semantics"]

sys.path.insert(0, HERE)


def load():
    import importlib
    for module in MODULES:
        importlib.import_module(module)
    from fixture_trace import SCENARIOS
    return SCENARIOS


def run_one(name):
    """Child mode: run one scenario and print its raw events as JSON."""
    scenarios = load()
    from fixture_trace import Tracer
    tr = Tracer()
    scenarios[name]["fn"](tr)
    json.dump(tr.events, sys.stdout)


def key(event):
    return json.dumps([event.get("set"), event["event"], event["actor"], event["payload"]], sort_keys=True)


def canonical(events, order):
    """Events in the order that is defined: sorted within each unordered group."""
    if order == "multiset":
        return sorted(events, key=lambda e: (key(e), e["t"] if e["t"] is not None else -1))
    result, group = [], []

    def flush():
        result.extend(sorted(group, key=lambda e: (key(e), e["t"] if e["t"] is not None else -1)))
        group.clear()

    for event in events:
        if event.get("set") is None:
            flush()
            result.append(event)
        elif group and group[-1].get("set") != event.get("set"):
            flush()
            group.append(event)
        else:
            group.append(event)
    flush()
    return result


def bucket(t):
    return None if t is None else int(math.floor(t + 0.5))


def record(name, meta):
    runs = []
    for _ in range(RUNS):
        out = subprocess.run([sys.executable, os.path.abspath(__file__), "--run-one", name],
                             capture_output=True, text=True, timeout=60, cwd=HERE)
        if out.returncode != 0:
            raise SystemExit(f"{name}: the scenario failed\n{out.stderr}")
        runs.append(canonical(json.loads(out.stdout), meta["order"]))
    first = [key(e) for e in runs[0]]
    for index, run in enumerate(runs[1:], 2):
        other = [key(e) for e in run]
        if other != first:
            diff = "\n".join(difflib.unified_diff(first, other, "run 1", f"run {index}", lineterm=""))
            raise SystemExit(f"{name}: the events differ between runs; the scenario is unstable\n{diff}")
    header = dict(scenario=name, title=meta["title"], seed=meta["seed"], clauses=meta["clauses"],
                  order=meta["order"], clock=meta["clock"], unit_ms=100,
                  python=".".join(map(str, sys.version_info[:2])), runs=RUNS)
    lines = [json.dumps(header)]
    for index, event in enumerate(runs[0]):
        buckets = {bucket(run[index]["t"]) for run in runs}
        line = dict(event=event["event"], actor=event["actor"],
                    t=buckets.pop() if len(buckets) == 1 else None, payload=event["payload"])
        if event.get("set") is not None:
            line["set"] = event["set"]
        if event.get("info") is not None:
            line["info"] = event["info"]
        if event.get("scope") is not None:
            line["scope"] = event["scope"]
        lines.append(json.dumps(line))
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="scenarios to record (default: all)")
    parser.add_argument("--check", action="store_true", help="regenerate into a temp dir and diff with the committed traces")
    parser.add_argument("--run-one", help=argparse.SUPPRESS)
    parser.add_argument("--list", action="store_true", help="list the scenarios")
    args = parser.parse_args()
    if args.run_one:
        return run_one(args.run_one)
    if sys.version_info < (3, 11):
        raise SystemExit("CPython 3.11 or later is required")
    scenarios = load()
    if args.list:
        for name, meta in scenarios.items():
            print(f"{name:40} {meta['title']}")
        return
    names = args.names or list(scenarios)
    target = tempfile.mkdtemp(prefix="traces-") if args.check else TRACES
    os.makedirs(target, exist_ok=True)
    for name in names:
        text = record(name, scenarios[name])
        with open(os.path.join(target, f"{name}.jsonl"), "w") as file:
            file.write(text)
        print(f"recorded {name}", file=sys.stderr)
    if not args.check:
        return
    differences = 0
    committed = set(f[:-6] for f in os.listdir(TRACES) if f.endswith(".jsonl"))
    for name in names:
        path = os.path.join(TRACES, f"{name}.jsonl")
        old = open(path).read().splitlines() if os.path.exists(path) else []
        new = open(os.path.join(target, f"{name}.jsonl")).read().splitlines()
        if old != new:
            differences += 1
            print("\n".join(difflib.unified_diff(old, new, f"committed/{name}", f"regenerated/{name}", lineterm="")))
    if not args.names:
        for stale in sorted(committed - set(names)):
            differences += 1
            print(f"committed trace {stale}.jsonl has no scenario")
    print(f"--check: {len(names)} scenarios, {differences} differ ({target})")
    sys.exit(1 if differences else 0)


if __name__ == "__main__":
    main()
