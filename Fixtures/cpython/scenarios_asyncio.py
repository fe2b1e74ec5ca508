"""The seed's asyncio examples (s01-s09), durations in units (UNIT seconds)."""

import asyncio
import time
import warnings

from fixture_trace import UNIT, scenario, sleep_units


@scenario("s01_my_sleep_coroutine_run", seed="§asyncio, Python 3.7+: asyncio.run(my_sleep_coroutine(2, ...))",
          clauses=["LOOP-015", "TASK-017"], clock="loop")
def s01(tr):
    """my_sleep_coroutine(2, ...) under asyncio.run: nothing runs until run; prints after 2 units; the loop is closed."""
    ran = []

    async def my_sleep_coroutine(t, string):
        ran.append(True)
        coro = asyncio.sleep(t * UNIT)
        await coro
        tr.emit("print", string)

    tr.start()
    coro = my_sleep_coroutine(2, "Printed after 2 seconds")
    tr.emit("coroutine_created", {"body_ran": bool(ran)})
    asyncio.run(coro)
    try:
        asyncio.get_running_loop()
        running = True
    except RuntimeError:
        running = False
    tr.emit("run_returned", {"loop_running_afterwards": running})


@scenario("s02_my_sleep_coroutine_legacy", seed="§asyncio, Python < 3.7: ensure_future + get_event_loop + run_until_complete + close",
          clauses=["LOOP-009", "LOOP-019"], clock="loop")
def s02(tr):
    """The legacy idiom: ensure_future, get_event_loop, run_until_complete, close."""

    async def my_sleep_coroutine(t, string):
        await asyncio.sleep(t * UNIT)
        tr.emit("print", string)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tr.start()
        coro = my_sleep_coroutine(2, "Printed after 2 seconds")
        task = asyncio.ensure_future(coro)
        loop = asyncio.get_event_loop()
        loop.run_until_complete(task)
        tr.emit("run_until_complete_returned", {"task_done": task.done(), "loop_closed": loop.is_closed()})
        loop.close()
        tr.emit("closed", {"loop_closed": loop.is_closed()})
    tr.emit("warnings", sorted({w.category.__name__ for w in caught}), timed=False,
            info="3.11 is silent; 3.12-3.13 warn DeprecationWarning; 3.14 raises RuntimeError")


@scenario("s03_async_keyword_typo", seed="§Tasks: 'async.ensure_future()' / 'async.gather()'",
          clauses=["TASK-001", "GATH-001"])
def s03(tr):
    """`async.ensure_future(...)` and `async.gather()` do not compile: async is a keyword."""
    for source in ["task = async.ensure_future(coro)", "async.gather()",
                   "task = asyncio.ensure_future(coro)", "asyncio.gather()"]:
        try:
            compile(source, "<seed>", "exec")
            tr.emit("compile", {"source": source, "error": None}, timed=False, scope="python")
        except SyntaxError as error:
            tr.emit("compile", {"source": source, "error": type(error).__name__}, timed=False, scope="python")

    async def ran():
        return "ran"

    async def main():
        task = asyncio.ensure_future(ran())
        tr.emit("spelled_right", {"ensure_future_result": await task, "gather_no_args": await asyncio.gather()},
                timed=False)

    asyncio.run(main())


async def say_after(tr, delay, what):
    tr.emit("say_after_start", what)
    await asyncio.sleep(delay * UNIT)
    tr.emit("print", what)


@scenario("s04_say_after_task", seed="§Tasks: create_task(say_after(1, 'hello')); await task",
          clauses=["TASK-001", "TASK-005"], clock="loop")
def s04(tr):
    """Awaiting a created task: finished 1 unit after started."""

    async def main():
        tr.emit("print", "started at")
        coro = say_after(tr, 1, "hello")
        task = asyncio.create_task(coro)
        await task
        tr.emit("print", "finished at")

    tr.start()
    asyncio.run(main())


@scenario("s05_say_after_sequential", seed="§Tasks: await say_after(1, 'hello'); await say_after(2, 'world')",
          clauses=["TASK-006", "TASK-007"], clock="loop")
def s05(tr):
    """Sequential awaits take the sum (3 units) and run in the current task; no task is created."""

    async def main():
        tr.emit("print", "started at")
        outer = asyncio.current_task()
        await say_after(tr, 1, "hello")
        tr.emit("after_first_await", {"same_task": asyncio.current_task() is outer,
                                      "n_tasks": len(asyncio.all_tasks())})
        await say_after(tr, 2, "world")
        tr.emit("print", "finished at")

    tr.start()
    asyncio.run(main())


@scenario("s06_say_after_two_tasks", seed="§Tasks: create_task x2 then await task1; await task2 ('around 2 seconds')",
          clauses=["TASK-002", "TASK-003", "TASK-008"], clock="loop")
def s06(tr):
    """Two tasks created first overlap: both start at the first suspension; 2 units in all."""

    async def main():
        tr.emit("print", "started at")
        task1 = asyncio.create_task(say_after(tr, 1, "hello"))
        task2 = asyncio.create_task(say_after(tr, 2, "world"))
        tr.emit("tasks_created")
        await task1
        tr.emit("task1_awaited", {"task2_done": task2.done()})
        await task2
        tr.emit("print", "finished at")

    tr.start()
    asyncio.run(main())


@scenario("s07_create_task_is_queued", seed="§Tasks: 'creating a task schedules the coroutine immediately'; 'awaiting ... an internally created task'",
          clauses=["TASK-001", "TASK-002", "TASK-003", "TASK-006"])
def s07(tr):
    """create_task only queues the first step; blocking code in the creator delays it; awaiting a coroutine or future makes no task."""

    async def body(name):
        tr.emit("task_start", name)

    async def child():
        return asyncio.current_task()

    async def main():
        outer = asyncio.current_task()
        for name in "ABC":
            asyncio.create_task(body(name))
        tr.emit("created")
        sleep_units(1)  # blocking, in the creator
        tr.emit("blocked_in_creator")
        await asyncio.sleep(0)
        tr.emit("after_first_suspension")
        inner = await child()
        future = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_soon(future.set_result, None)
        await future
        tr.emit("awaited_coroutine_and_future", {"same_task": inner is outer, "n_tasks": len(asyncio.all_tasks())})

    tr.start()
    asyncio.run(main())


@scenario("s08_gather", seed="§Tasks: 'You can start multiple coroutines with async.gather()'",
          clauses=["GATH-001"], clock="loop")
def s08(tr):
    """gather of 3, 1, 2 units: completes by 3 units, results in argument order."""

    async def job(seconds, word):
        await asyncio.sleep(seconds * UNIT)
        tr.emit("completed", word)
        return word

    async def main():
        results = await asyncio.gather(job(3, "three"), job(1, "one"), job(2, "two"))
        tr.emit("gathered", results)

    tr.start()
    asyncio.run(main())


@scenario("s09_blocking_vs_run_in_executor", seed="§Working with modules NOT based on asyncio: 'async.ensure_future()'",
          clauses=["LOOP-016", "LOOP-017"])
def s09(tr):
    """Blocking code wrapped in tasks runs back to back (2 units); run_in_executor overlaps (1 unit)."""

    async def blocking():
        sleep_units(1)

    async def in_tasks():
        await asyncio.gather(*[asyncio.ensure_future(blocking()) for _ in range(2)])

    async def in_executor():
        loop = asyncio.get_running_loop()
        await asyncio.gather(*[loop.run_in_executor(None, sleep_units, 1) for _ in range(2)])

    tr.start()
    asyncio.run(in_tasks())
    tr.emit("two_blocking_tasks_done")
    tr.start()
    asyncio.run(in_executor())
    tr.emit("two_run_in_executor_calls_done")
