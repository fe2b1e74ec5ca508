"""Semantics the clauses rely on (m01-m08: concurrent.futures; l01-l08: asyncio)."""

import asyncio
import concurrent.futures
import threading

from fixture_trace import UNIT, error_name, scenario, sleep_units


@scenario("m01_future_callbacks", seed="—", clauses=["FUT-011", "FUT-012", "FUT-013", "FUT-014"])
def m01(tr):
    """Done callbacks run once each, in registration order, inline before set_result returns; a raising one is swallowed; one added later runs at once."""
    import logging
    logging.getLogger("concurrent.futures").disabled = True
    future = concurrent.futures.Future()

    def callback(name, fail=False):
        def cb(f):
            tr.emit("callback", {"name": name, "done": f.done()}, timed=False)
            if fail:
                raise ValueError(name)
        return cb

    future.add_done_callback(callback("cb1"))
    future.add_done_callback(callback("cb2", fail=True))
    future.add_done_callback(callback("cb3"))
    tr.emit("set_result", timed=False)
    future.set_result("v")
    tr.emit("set_result_returned", {"result": future.result()}, timed=False)
    future.add_done_callback(callback("late"))
    tr.emit("add_done_callback_returned", timed=False)


@scenario("m02_future_cancel_rules", seed="—", clauses=["FUT-005", "FUT-006", "FUT-007", "FUT-008", "FUT-009", "FUT-010"])
def m02(tr):
    """cancel() on pending / cancelled / running / finished futures, and what result() and set_result() do afterwards."""
    f = concurrent.futures.Future()
    tr.emit("cancel_pending", f.cancel(), timed=False)
    tr.emit("cancel_again", f.cancel(), timed=False)
    tr.emit("state", {"cancelled": f.cancelled(), "done": f.done(), "running": f.running()}, timed=False)
    for what, call in [("result", lambda: f.result(timeout=0)), ("set_result", lambda: f.set_result(1))]:
        try:
            call()
            tr.emit(what, None, timed=False)
        except BaseException as error:
            tr.emit(what, {"error": error_name(error)}, timed=False)
    tr.emit("set_running_on_cancelled", f.set_running_or_notify_cancel(), timed=False)
    g = concurrent.futures.Future()
    tr.emit("set_running_on_pending", g.set_running_or_notify_cancel(), timed=False)
    tr.emit("cancel_running", g.cancel(), timed=False)
    g.set_result(2)
    tr.emit("cancel_finished", g.cancel(), timed=False)
    try:
        g.set_result(3)
    except BaseException as error:
        tr.emit("set_result_twice", {"error": error_name(error), "result": g.result()}, timed=False)


@scenario("m03_cancel_queued_call", seed="—", clauses=["EXE-011", "EXE-012", "EXE-026"])
def m03(tr):
    """max_workers=1: the running call cannot be cancelled, a queued one can and never runs; the rest start in FIFO order."""
    release = threading.Event()

    def job(n):
        tr.emit("start", n, timed=False)
        if n == 0:
            release.wait(10)
        return n

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as executor:
        futures = [executor.submit(job, n) for n in range(5)]
        while not futures[0].running():
            pass
        tr.emit("states", [[f.running(), f.done()] for f in futures], timed=False)
        tr.emit("cancel_running", futures[0].cancel(), timed=False)
        tr.emit("cancel_queued", futures[2].cancel(), timed=False)
        release.set()
    tr.emit("outcomes", ["cancelled" if f.cancelled() else f.result() for f in futures], timed=False)


@scenario("m04_shutdown_cancel_futures", seed="—", clauses=["EXE-015", "EXE-016"])
def m04(tr):
    """shutdown(wait=True, cancel_futures=True) with one 1-unit call running and four queued: returns after 1 unit; the queued ones are cancelled; submit afterwards fails."""
    started = threading.Event()

    def job(n):
        started.set()
        sleep_units(1)
        return n

    tr.start()
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    futures = [executor.submit(job, n) for n in range(5)]
    started.wait(10)
    executor.shutdown(wait=True, cancel_futures=True)
    tr.emit("shutdown_returned", ["cancelled" if f.cancelled() else f.result() for f in futures])
    try:
        executor.submit(job, 5)
    except RuntimeError as error:
        tr.emit("submit_after_shutdown", {"error": error_name(error)}, timed=False)
    executor.shutdown()
    tr.emit("second_shutdown_returned", timed=False)


@scenario("m05_shutdown_no_wait", seed="—", clauses=["EXE-014", "EXE-013"])
def m05(tr):
    """shutdown(wait=False) returns at once; the 2-unit call still completes; shutdown(wait=True) waits for it."""
    tr.start()
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    future = executor.submit(sleep_units, 2)
    executor.shutdown(wait=False)
    tr.emit("shutdown_returned", {"done": future.done()})
    future.result()
    tr.emit("call_done", {"cancelled": future.cancelled()})
    tr.start()
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    future = executor.submit(sleep_units, 1)
    executor.shutdown(wait=True)
    tr.emit("joining_shutdown_returned", {"done": future.done()})


@scenario("m06_wait_modes", seed="—", clauses=["WAIT-001", "WAIT-002", "WAIT-004", "WAIT-005", "WAIT-006"])
def m06(tr):
    """ALL_COMPLETED, a timeout, FIRST_EXCEPTION, an already-satisfied condition, duplicates and empty input."""

    def after(seconds, fail=False):
        sleep_units(seconds)
        if fail:
            raise ValueError(seconds)
        return seconds

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as executor:
        tr.start()
        fs = [executor.submit(after, s) for s in (1, 2, 3)]
        done, not_done = concurrent.futures.wait(fs)
        tr.emit("all_completed", {"done": len(done), "not_done": len(not_done)})
        tr.start()
        fs = [executor.submit(after, s) for s in (1, 5)]
        done, not_done = concurrent.futures.wait(fs, timeout=2 * UNIT)
        tr.emit("timeout", {"done": sorted(f.result() for f in done), "not_done": len(not_done)})
        for f in fs:
            f.result()
        tr.start()
        fs = [executor.submit(after, 1, True), executor.submit(after, 3)]
        done, not_done = concurrent.futures.wait(fs, return_when=concurrent.futures.FIRST_EXCEPTION)
        tr.emit("first_exception", {"done": len(done), "not_done": len(not_done)})
        done, not_done = concurrent.futures.wait(fs)
        tr.start()
        done, not_done = concurrent.futures.wait(fs + fs + fs, return_when=concurrent.futures.FIRST_COMPLETED)
        tr.emit("already_satisfied_with_duplicates", {"done": len(done), "not_done": len(not_done)})
        done, not_done = concurrent.futures.wait([])
        tr.emit("empty", {"done": len(done), "not_done": len(not_done)}, timed=False)


@scenario("m07_as_completed_timeout", seed="—", clauses=["ASC-002", "ASC-003", "ASC-004"])
def m07(tr):
    """A done future comes first, a repeated one once, and the iterator raises TimeoutError at 2 units while a 6-unit call is pending."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as executor:
        ready = concurrent.futures.Future()
        ready.set_result("ready")
        quick = executor.submit(lambda: (sleep_units(1), "quick")[1])
        slow = executor.submit(lambda: (sleep_units(6), "slow")[1])
        tr.start()
        try:
            for f in concurrent.futures.as_completed([slow, quick, ready, quick], timeout=2 * UNIT):
                tr.emit("yielded", f.result())
        except TimeoutError:
            tr.emit("raised", {"error": "timeout"})
        slow.cancel()


@scenario("m08_map_timeout", seed="—", clauses=["MAP-005"])
def m08(tr):
    """map(timeout=2 units) over calls of 1 and 5 units: the first value, then TimeoutError 2 units after the map call."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as executor:
        tr.start()
        results = executor.map(sleep_units, [1, 5], timeout=2 * UNIT)
        try:
            for value in results:
                tr.emit("value", value)
        except TimeoutError:
            tr.emit("raised", {"error": "timeout"})


@scenario("l01_call_soon_fifo", seed="—", clauses=["LOOP-001", "LOOP-002", "LOOP-011"], clock="loop")
def l01(tr):
    """call_soon runs FIFO; a callback scheduled by a running callback runs after those already queued; stop() lets the batch finish."""
    loop = asyncio.new_event_loop()

    def cb(name):
        tr.emit("callback", name, timed=False)
        if name == "s1":
            loop.call_soon(cb, "nested")
        if name == "s5":
            loop.stop()

    for n in range(1, 6):
        loop.call_soon(cb, f"s{n}")
    loop.run_forever()
    tr.emit("run_forever_returned", timed=False)
    loop.stop()  # stop() before run_forever: exactly one iteration, which runs the deferred callback
    loop.run_forever()
    tr.emit("second_run_forever_returned", timed=False)
    loop.close()


@scenario("l02_timer_order", seed="—", clauses=["LOOP-003", "LOOP-005", "LOOP-006"], clock="loop")
def l02(tr):
    """Timers scheduled with delays 3, 1, 2, 0 units run by due time, at their due time; a call_soon callback runs before an earlier-scheduled zero-delay timer."""
    loop = asyncio.new_event_loop()
    tr.start()
    for delay in (3, 1, 2, 0):
        loop.call_later(delay * UNIT, lambda d=delay: tr.emit("timer", d))
    loop.call_soon(lambda: tr.emit("soon"))
    loop.call_later(3.5 * UNIT, loop.stop)
    loop.run_forever()
    loop.close()


@scenario("l03_timer_ties", seed="—", clauses=["LOOP-004"], order="multiset", clock="loop")
def l03(tr):
    """12 call_at with the same deadline: all run at it, in an order CPython documents as undefined (heap order, not FIFO)."""
    loop = asyncio.new_event_loop()
    tr.start()
    when = loop.time() + 1 * UNIT
    for n in range(12):
        loop.call_at(when, lambda n=n: tr.emit("timer", n))
    loop.call_at(when + UNIT, loop.stop)
    loop.run_forever()
    loop.close()


@scenario("l04_sleep_zero_interleaves", seed="—", clauses=["LOOP-013", "TASK-016"], clock="loop")
def l04(tr):
    """Two tickers alternating with sleep(0) interleave strictly."""

    async def ticker(name):
        for i in range(3):
            tr.emit("tick", f"{name}{i}", timed=False)
            await asyncio.sleep(0)

    async def main():
        await asyncio.gather(ticker("A"), ticker("B"))

    asyncio.run(main())


@scenario("l05_task_cancel", seed="—", clauses=["TASK-009", "TASK-010", "TASK-011", "AFUT-004"], clock="loop")
def l05(tr):
    """cancel() of a sleeping task, of a task before its first step, and of a task that swallows the cancellation."""

    async def sleeper():
        tr.emit("sleeper_start")
        await asyncio.sleep(10 * UNIT)

    async def never():
        tr.emit("never_body_ran")

    async def swallower():
        try:
            await asyncio.sleep(10 * UNIT)
        except asyncio.CancelledError:
            return "swallowed"

    async def main():
        task = asyncio.create_task(sleeper())
        await asyncio.sleep(1 * UNIT)
        tr.emit("cancel_sleeping", {"returned": task.cancel(), "cancelled": task.cancelled()})
        try:
            await task
        except asyncio.CancelledError:
            tr.emit("await_raised", {"error": "cancelled", "cancelled": task.cancelled()})
        tr.emit("cancel_again", task.cancel())
        early = asyncio.create_task(never())
        tr.emit("cancel_before_first_step", early.cancel())
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        tr.emit("early_state", {"cancelled": early.cancelled()})
        task = asyncio.create_task(swallower())
        await asyncio.sleep(0)
        task.cancel()
        tr.emit("swallowed", {"result": await task, "cancelled": task.cancelled()})

    tr.start()
    asyncio.run(main())


@scenario("l06_loop_future_callbacks", seed="—", clauses=["AFUT-001", "AFUT-002", "AFUT-003", "AFUT-006"], clock="loop")
def l06(tr):
    """asyncio future callbacks are scheduled with call_soon, never inline, in registration order."""

    async def main():
        loop = asyncio.get_running_loop()
        f = loop.create_future()
        try:
            f.result()
        except asyncio.InvalidStateError as error:
            tr.emit("result_pending", {"error": error_name(error)}, timed=False)
        for name in ("cb1", "cb2", "cb3"):
            f.add_done_callback(lambda _, n=name: tr.emit("callback", n, timed=False))
        f.set_result(1)
        tr.emit("set_result_returned", timed=False)
        f.add_done_callback(lambda _: tr.emit("callback", "late", timed=False))
        tr.emit("add_done_callback_returned", timed=False)
        await asyncio.sleep(0)
        tr.emit("after_one_iteration", timed=False)
        try:
            f.set_result(2)
        except asyncio.InvalidStateError as error:
            tr.emit("set_result_twice", {"error": error_name(error)}, timed=False)

    asyncio.run(main())


@scenario("l07_gather_errors", seed="—", clauses=["GATH-002", "GATH-003"], clock="loop")
def l07(tr):
    """return_exceptions=True lists the error in place; without it the first error reaches the awaiter at 1 unit and the other child still finishes at 2."""

    async def ok(seconds):
        await asyncio.sleep(seconds * UNIT)
        tr.emit("child_done", seconds)
        return seconds

    async def bad(seconds):
        await asyncio.sleep(seconds * UNIT)
        raise ValueError(seconds)

    async def main():
        results = await asyncio.gather(ok(1), bad(1), return_exceptions=True)
        tr.emit("outcomes", [r if not isinstance(r, BaseException) else {"error": type(r).__name__} for r in results])
        tr.start()
        survivor = asyncio.ensure_future(ok(2))
        try:
            await asyncio.gather(bad(1), survivor)
        except ValueError:
            tr.emit("raised", {"error": "ValueError"})
        await survivor

    tr.start()
    asyncio.run(main())


@scenario("l08_wait_and_wait_for", seed="—", clauses=["WAIT-010", "WAIT-011", "TASK-014", "TASK-015", "ASC-007"], clock="loop")
def l08(tr):
    """asyncio.wait with a timeout cancels nothing; FIRST_COMPLETED; wait_for times out and cancels; as_completed yields in completion order."""

    async def after(seconds):
        await asyncio.sleep(seconds * UNIT)
        return seconds

    async def main():
        tr.start()
        tasks = [asyncio.create_task(after(s)) for s in (1, 5)]
        done, pending = await asyncio.wait(tasks, timeout=2 * UNIT)
        tr.emit("wait_timeout", {"done": sorted(t.result() for t in done), "pending": len(pending),
                                 "pending_cancelled": any(t.cancelled() for t in pending)})
        for t in tasks:
            t.cancel()
        tr.start()
        tasks = [asyncio.create_task(after(s)) for s in (3, 1, 2)]
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        tr.emit("wait_first_completed", {"done": sorted(t.result() for t in done), "pending": len(pending)})
        for t in tasks:
            t.cancel()
        tr.start()
        inner = asyncio.create_task(after(10))
        try:
            await asyncio.wait_for(inner, timeout=1 * UNIT)
        except TimeoutError:
            tr.emit("wait_for_timeout", {"error": "timeout", "inner_cancelled": inner.cancelled()})
        tr.emit("wait_for_in_time", await asyncio.wait_for(after(1), timeout=3 * UNIT))
        tr.start()
        for next_done in asyncio.as_completed([after(3), after(1), after(2)]):
            tr.emit("as_completed", await next_done)

    asyncio.run(main())
