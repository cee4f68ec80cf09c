"""The check behind issue 23 item 2: threads, or asyncio tasks, sharing one facade each
read the ``last_error`` of their own last call, whatever the others did meanwhile.

``threads_read_their_own`` / ``tasks_read_their_own`` run ``call(index, round, failing)``
in 16 threads (tasks), 6 rounds each, thread ``i`` failing on the rounds where ``i + r``
is even (so every round has as many failures as successes). After each call every
thread waits for all the others to have made theirs, then reads ``read_error()``: None
after its own success, an error whose text holds its own marker (``marker(i, r)``, which
the failing call puts in the key or name it asks for) after its own failure. Then all
wait again before the next round, so nobody's next call lands before everyone has read.
With one ``last_error`` per instance, the read after the first wait sees whichever call
ended last: about half the threads see someone else's answer, every round.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable

THREADS = 16
ROUNDS = 6


def marker(index: int, round_: int) -> str:
    """The text a failing call of thread ``index`` in ``round_`` puts in its key or name."""
    return f"own_{index}_{round_}"


def _problem(error: object, index: int, round_: int, failing: bool) -> str | None:
    if failing:
        if error is None or marker(index, round_) not in str(error):
            return f"thread {index} round {round_}: failed, but last_error is {error!r}"
        return None
    if error is not None:
        return f"thread {index} round {round_}: succeeded, but last_error is {error!r}"
    return None


def threads_read_their_own(
    read_error: Callable[[], object],
    call: Callable[[int, int, bool], object],
    *,
    threads: int = THREADS,
    rounds: int = ROUNDS,
) -> list[str]:
    """Run the rounds in ``threads`` threads; the problems seen (empty: each read its own)."""
    barrier = threading.Barrier(threads, timeout=120)
    problems: list[str] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        for round_ in range(rounds):
            failing = (index + round_) % 2 == 0
            try:
                call(index, round_, failing)
            finally:
                barrier.wait()  # every thread has made its call
            problem = _problem(read_error(), index, round_, failing)
            if problem is not None:
                with lock:
                    problems.append(problem)
            barrier.wait()  # every thread has read: the next calls may start

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=300)
    return problems


async def tasks_read_their_own(
    read_error: Callable[[], object],
    call: Callable[[int, int, bool], Awaitable[object]],
    *,
    tasks: int = THREADS,
    rounds: int = ROUNDS,
) -> list[str]:
    """Run the rounds in ``tasks`` asyncio tasks; the problems seen (empty: each read its own)."""
    barrier = asyncio.Barrier(tasks)
    problems: list[str] = []

    async def task(index: int) -> None:
        for round_ in range(rounds):
            failing = (index + round_) % 2 == 0
            try:
                await call(index, round_, failing)
            finally:
                await barrier.wait()  # every task has made its call
            problem = _problem(read_error(), index, round_, failing)
            if problem is not None:
                problems.append(problem)
            await barrier.wait()  # every task has read: the next calls may start

    await asyncio.gather(*(task(i) for i in range(tasks)))
    return problems


__all__ = ["ROUNDS", "THREADS", "marker", "tasks_read_their_own", "threads_read_their_own"]
