"""The trace format shared by every scenario (see ../README.md).

A scenario is a function decorated with @scenario. It receives a Tracer and
calls tr.emit(event, payload) wherever the seed program prints or wherever a
clause makes an observable claim. Each event records:

  event    a short name ("print", "result", "cancel", ...)
  payload  any JSON value; never a thread id, pid, address or clock reading
  actor    main / task / worker / process, detected from where emit runs
  t        seconds since tr.start(), in units (1 unit = UNIT seconds), as a
           float; record.py turns it into a bucket and keeps it only when it
           is the same in every run
  set      optional label: consecutive events with the same label form a
           group whose order is not defined (compared as a multiset)
  info     optional, informational only (e.g. the CPython exception class);
           never compared
  scope    optional; "python" marks a fact about the Python language itself
           (a SyntaxError, a str that is not a tuple) that no Swift
           implementation can reproduce: the replay suite lists it, never
           compares it
"""

import asyncio
import multiprocessing
import threading
import time

# 1 seed second = 1 unit = 100 ms in these runs (CLAUSES.md, "Time unit").
UNIT = 0.1

SCENARIOS = {}


def scenario(name, *, seed, clauses, order="exact", clock="real", title=""):
    """Registers a scenario.

    order: "exact" (the default: event order is deterministic) or "multiset"
           (the whole trace's order is documented as undefined).
    clock: "real" (times are wall-clock buckets) or "loop" (times are loop
           time; a virtual-time loop reproduces them exactly).
    """

    def register(fn):
        SCENARIOS[name] = dict(fn=fn, seed=seed, clauses=list(clauses), order=order,
                               clock=clock, title=title or (fn.__doc__ or "").strip().split("\n")[0])
        return fn

    return register


def sleep_units(n):
    """time.sleep for n seed seconds."""
    time.sleep(n * UNIT)


def actor_class():
    if multiprocessing.parent_process() is not None:
        return "process"
    if threading.current_thread() is not threading.main_thread():
        return "worker"
    try:
        if asyncio.current_task() is not None:
            return "task"
    except RuntimeError:
        pass
    return "main"


class Tracer:
    def __init__(self):
        self.events = []
        self._lock = threading.Lock()
        self._start = time.perf_counter()

    def start(self):
        """Time zero of the scenario."""
        self._start = time.perf_counter()

    def now(self):
        return (time.perf_counter() - self._start) / UNIT

    def emit(self, event, payload=None, *, timed=True, actor=None, set=None, info=None, scope=None):
        record = dict(event=event, actor=actor or actor_class(), payload=payload,
                      t=self.now() if timed else None)
        if set is not None:
            record["set"] = set
        if info is not None:
            record["info"] = info
        if scope is not None:
            record["scope"] = scope
        with self._lock:
            self.events.append(record)


def error_name(exc):
    """The kit's name for a Python exception (ConcurrencyError's cases)."""
    import concurrent.futures as cf
    import pickle
    if isinstance(exc, (asyncio.CancelledError, cf.CancelledError)):
        return "cancelled"
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, (cf.InvalidStateError, asyncio.InvalidStateError)):
        return "invalidState"
    if isinstance(exc, cf.BrokenExecutor):
        return "brokenExecutor"
    if isinstance(exc, (pickle.PicklingError, AttributeError)) and "pickle" in str(exc).lower():
        return "unserializable"
    if isinstance(exc, RuntimeError) and "after shutdown" in str(exc):
        return "executorShutDown"
    if isinstance(exc, RuntimeError) and "closed" in str(exc):
        return "loopClosed"
    if isinstance(exc, RuntimeError) and "no running event loop" in str(exc):
        return "noRunningLoop"
    return type(exc).__name__
