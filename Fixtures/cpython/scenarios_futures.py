"""The seed's concurrent.futures, threading and multiprocessing examples (s10-s19, x03, x08)."""

import concurrent.futures
import json
import math
import os
import threading
import time
import uuid

from fixture_trace import error_name, scenario, sleep_units

FIXTURES = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def primes():
    with open(os.path.join(FIXTURES, "primes.json")) as file:
        return json.load(file)["PRIMES"]


@scenario("s10_executor_block_and_types", seed="§concurrent.futures: 'with ThreadPoolExecutor() as executor: # multithreading'; 'both of these return an Executor class object'",
          clauses=["EXE-017"])
def s10(tr):
    """The comment-only block does not compile; the constructors return Executor subclasses; `with` yields the executor itself."""
    for source in ["with concurrent.futures.ThreadPoolExecutor() as executor:\n    # multithreading\n",
                   "with concurrent.futures.ThreadPoolExecutor() as executor:\n    pass  # multithreading\n"]:
        try:
            compile(source, "<seed>", "exec")
            tr.emit("compile", {"source": source, "error": None}, timed=False, scope="python")
        except SyntaxError as error:
            tr.emit("compile", {"source": source, "error": type(error).__name__}, timed=False, scope="python")
    for kind in [concurrent.futures.ThreadPoolExecutor, concurrent.futures.ProcessPoolExecutor]:
        executor = kind(max_workers=1)
        with executor as entered:
            tr.emit("executor", {"is_executor": isinstance(executor, concurrent.futures.Executor),
                                 "exactly_executor": type(executor) is concurrent.futures.Executor,
                                 "with_yields_itself": entered is executor},
                    timed=False, info=kind.__name__)


def return_after(message):
    sleep_units(2)
    return message


@scenario("s11_submit_return_after", seed="§concurrent.futures: submit(return_after, ('hello')) / ('world'); print(future1.result(), future2.result())",
          clauses=["EXE-001", "EXE-006", "EXE-017"])
def s11(tr):
    """Two 2-unit return_after calls overlap: 'hello world' after 2 units; ('hello') is a str, not a tuple."""
    tr.emit("arg", {"arg_is_tuple": isinstance(("hello"), tuple)}, timed=False, scope="python")
    tr.start()
    with concurrent.futures.ThreadPoolExecutor() as executor:
        future1 = executor.submit(return_after, ("hello"))
        future2 = executor.submit(return_after, ("world"))
        tr.emit("submitted")
        tr.emit("print", f"{future1.result()} {future2.result()}")
    tr.emit("total")


def is_prime(n):
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


@scenario("s12_process_pool_map_primes", seed="§concurrent.futures, Executor.map(): ProcessPoolExecutor().map(is_prime, PRIMES)",
          clauses=["MAP-001", "PROC-001"])
def s12(tr):
    """The PRIMES program: one line per number, in input order (CPU-bound, so no times)."""
    numbers = primes()
    with concurrent.futures.ProcessPoolExecutor() as executor:
        results_generator = executor.map(is_prime, numbers)
        for number, prime in zip(numbers, results_generator):
            tr.emit("print", '%d is prime: %s' % (number, prime), timed=False)


def record_and_sleep(args):
    tr, index, seconds = args
    tr.emit("call_start", index, set="starts")
    sleep_units(seconds)
    return index


@scenario("x03_map_order_and_errors", seed="§concurrent.futures, Executor.map(): 'map-like operation over each future returning a generator of future results'",
          clauses=["MAP-001", "MAP-002", "MAP-003", "MAP-004"])
def x03(tr):
    """map takes arguments, submits every call at once, yields values in input order, raises an error when its element is reached."""
    tr.start()
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as executor:
        results = executor.map(record_and_sleep, [(tr, i, s) for i, s in enumerate([3, 2, 1])])
        tr.emit("map_returned", set="starts")  # the workers' call_start events race with this one
        for value in results:
            tr.emit("value", value)
    tr.start()

    def fail_on_two(x):
        if x == 2:
            raise ValueError(x)
        return x

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as executor:
        results = executor.map(fail_on_two, range(5))
        for _ in range(4):
            try:
                tr.emit("next", next(results), timed=False)
            except StopIteration:
                tr.emit("stop_iteration", timed=False)
            except ValueError as error:
                tr.emit("raised", {"error": "ValueError", "element": error.args[0]}, timed=False)


@scenario("s13_as_completed", seed="§concurrent.futures, as_completed(): seconds = [5, 4, 3, 2, 1]",
          clauses=["ASC-001", "EXE-028"])
def s13(tr):
    """IDs come back 4, 3, 2, 1, 0, one per unit; 5 units in all."""

    def return_after(id, seconds):
        sleep_units(seconds)
        return f"Return of ID: {id}"

    tr.start()
    with concurrent.futures.ThreadPoolExecutor() as executor:
        seconds = [5, 4, 3, 2, 1]
        futures = [executor.submit(return_after, *args)
                   for args in enumerate(seconds)]
        for future in concurrent.futures.as_completed(futures):
            tr.emit("print", future.result())
    tr.emit("total")


@scenario("s14_wait_first_completed", seed="§concurrent.futures, wait(): return_when='FIRST_COMPLETED' with randint(1, 5) sleeps",
          clauses=["WAIT-003", "WAIT-008", "EXE-019"])
def s14(tr):
    """FIRST_COMPLETED returns at the fastest sleep; the rest keep running; the with block waits for the slowest. A tie may put one or two futures in done."""
    sleeps = [3, 1, 4, 2]  # the seed draws randint(1, 5); fixed, distinct values make it deterministic

    def return_after(task_id):
        sleep_units(sleeps[task_id])
        return f"Return of ID: {task_id}"

    tr.start()
    with concurrent.futures.ThreadPoolExecutor() as executor:
        futures = [executor.submit(return_after, x) for x in range(4)]
        done, not_done = concurrent.futures.wait(futures, return_when='FIRST_COMPLETED')
        tr.emit("wait_returned", {"done": sorted(futures.index(f) for f in done),
                                  "not_done": sorted(futures.index(f) for f in not_done)})
        future_done = done.pop()
        tr.emit("print", future_done.result())
    tr.emit("with_exited", {"all_done": all(f.done() for f in futures)})
    # The seed's real draw can tie: 1 and 2 both sleep 1 unit.
    sleeps[:] = [2, 1, 1, 3]
    tr.start()
    with concurrent.futures.ThreadPoolExecutor() as executor:
        futures = [executor.submit(return_after, x) for x in range(4)]
        done, not_done = concurrent.futures.wait(futures, return_when='FIRST_COMPLETED')
        ids = {futures.index(f) for f in done}
        tr.emit("tied_wait_returned", {"done_nonempty_subset_of_tied": bool(ids) and ids <= {1, 2}})


@scenario("s15_with_joins", seed="§concurrent.futures: 'using a context manager ... automatically joins threads' (wait_for(3))",
          clauses=["EXE-017", "EXE-029"])
def s15(tr):
    """Inside the block: 0 units; after it: 3 units, the worker threads have exited."""

    def wait_for(seconds):
        sleep_units(seconds)

    tr.start()
    before = set(threading.enumerate())
    with concurrent.futures.ThreadPoolExecutor() as executor:
        executor.submit(wait_for, 3)
        tr.emit("print", "Elapsed time in seconds")
    tr.emit("print", "Total time in seconds")
    tr.emit("workers_alive", len(set(threading.enumerate()) - before), timed=False)


def seed_thread_local_program(tr, max_workers, sleeps, consume):
    thread_local = threading.local()
    ids = []

    def return_after(id):
        if (not hasattr(thread_local, 'id')):
            thread_local.id = uuid.uuid4()
            tr.emit("thread_local_created", set="tls")
        sleep_units(sleeps[id])
        ids.append(thread_local.id)
        tr.emit("print", f"Task ID: {id}", set=f"tasks@{sleeps[id]}")
        return f"Return of {id}"

    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
        consume(executor, return_after)
    return len(set(ids))


@scenario("s16_thread_local", seed="§Local data: ThreadPoolExecutor(max_workers=2).map(return_after, range(6)) — 'only two unique thread IDs'",
          clauses=["TLS-002", "TLS-003", "MAP-002"])
def s16(tr):
    """Six 1-unit tasks on two workers, map never read: every task runs (two per unit), two thread-local IDs, created once per worker."""
    tr.start()
    # The seed sleeps randint(1, 5); a fixed 1 unit keeps the order of the pairs defined.
    unique = seed_thread_local_program(tr, 2, [1] * 6, lambda executor, fn: executor.map(fn, [n for n in range(6)]))
    tr.emit("unique_thread_ids", unique)


@scenario("x08_thread_local_one_at_a_time", seed="§Local data: 'It will print only two unique thread IDs' (stated too generally)",
          clauses=["TLS-003", "EXE-008"])
def x08(tr):
    """Submitted one at a time, six calls on max_workers=2 reuse the idle worker: one thread-local ID."""

    def one_at_a_time(executor, fn):
        for n in range(6):
            executor.submit(fn, n).result()

    unique = seed_thread_local_program(tr, 2, [0] * 6, one_at_a_time)
    tr.emit("unique_thread_ids", unique, timed=False)


@scenario("s17_gil_claims", seed="§GIL: 'prevents race conditions and deadlocks'; 'only one thread can be executed at a time'",
          clauses=["GIL-001", "GIL-002", "GIL-003", "GIL-004", "GIL-005"])
def s17(tr):
    """An interleaved read-yield-write loses an update; a lock keeps them; opposite lock order deadlocks; sleeping threads overlap."""
    # GIL-001: two increments forced to interleave at their yield.
    counter = [0]
    a_read, b_read, a_wrote = threading.Event(), threading.Event(), threading.Event()

    def a():
        value = counter[0]
        a_read.set()
        b_read.wait(10)
        counter[0] = value + 1
        a_wrote.set()

    def b():
        a_read.wait(10)
        value = counter[0]
        b_read.set()
        a_wrote.wait(10)
        counter[0] = value + 1

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as executor:
        for f in [executor.submit(a), executor.submit(b)]:
            f.result()
    tr.emit("interleaved_increments", {"expected": 2, "final": counter[0]}, timed=False)

    # GIL-002: 4 threads x 200 locked read-yield-write increments.
    lock = threading.Lock()
    total = [0]
    start = threading.Barrier(4)

    def locked_increments():
        start.wait(10)
        for _ in range(200):
            with lock:
                value = total[0]
                os.sched_yield()
                total[0] = value + 1

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as executor:
        for f in [executor.submit(locked_increments) for _ in range(4)]:
            f.result()
    tr.emit("locked_increments", total[0], timed=False)

    # GIL-003: opposite lock order; each timed acquire (1 unit) fails.
    lock1, lock2 = threading.Lock(), threading.Lock()
    hold = threading.Barrier(2)
    tried = threading.Barrier(2)

    def take(first, second):
        with first:
            hold.wait(10)
            got = second.acquire(timeout=0.1)
            if got:
                second.release()
            tried.wait(10)
            return got

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as executor:
        results = [executor.submit(take, lock1, lock2), executor.submit(take, lock2, lock1)]
        tr.emit("opposite_order_acquires", [f.result() for f in results], timed=False)

    # GIL-004: four sleeping threads overlap.
    tr.start()
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as executor:
        for f in [executor.submit(sleep_units, 1) for _ in range(4)]:
            f.result()
    tr.emit("four_sleeps_done")

    # GIL-005 (MAY): pure-Python CPU-bound work gains nothing from threads under
    # the GIL. A fact about CPython, not a contract (a GIL-free implementation
    # may run it in parallel), so it is python-scope: recorded, never replayed.
    def spin():
        n = 0
        for i in range(1_500_000):
            n += i
        return n

    # CPU seconds per wall second while two threads spin: about 1 when they
    # take turns, about 2 when they run at once. Load only lowers it.
    wall, cpu = time.perf_counter(), time.process_time()
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as executor:
        for f in [executor.submit(spin), executor.submit(spin)]:
            f.result()
    parallelism = (time.process_time() - cpu) / (time.perf_counter() - wall)
    tr.emit("cpu_bound_threads", {"ran_in_parallel": parallelism > 1.4}, timed=False, scope="python",
            info="CPU seconds per wall second with two spinning threads: about 1 under the GIL, 2 without")


@scenario("s18_pickling", seed="§Pickable data: 'The arguments passed ... and the values returned by them must be serializable'",
          clauses=["PROC-003"])
def s18(tr):
    """A local callable cannot cross to a worker: its future fails, and the pool stays usable."""
    with concurrent.futures.ProcessPoolExecutor(max_workers=1) as executor:
        def local(n):
            return n

        future = executor.submit(local, 1)
        try:
            future.result(timeout=30)
            tr.emit("local_callable", {"error": None}, timed=False)
        except Exception as error:
            tr.emit("local_callable", {"error": error_name(error)}, timed=False,
                    info=f"{type(error).__name__}: {error}")
        tr.emit("afterwards", executor.submit(is_prime, 97).result(timeout=30), timed=False)


@scenario("s19_default_workers", seed="§Some adds: 'use as many threads or processes as the number of logical cores'",
          clauses=["EXE-007", "PROC-007"])
def s19(tr):
    """Thread pools default to min(32, cpu_count + 4) workers; process pools to cpu_count."""
    cpus = os.cpu_count()
    with concurrent.futures.ThreadPoolExecutor() as threads:
        tr.emit("thread_pool_default", {"is_min_32_cpu_plus_4": threads._max_workers == min(32, cpus + 4),
                                        "is_cpu_count": threads._max_workers == cpus}, timed=False)
    with concurrent.futures.ProcessPoolExecutor() as processes:
        tr.emit("process_pool_default", {"is_cpu_count": processes._max_workers == cpus}, timed=False)
