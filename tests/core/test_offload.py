"""Large reads are decoded off the event loop's thread, so the window keeps painting."""

import asyncio
import threading

from fidus_desktop.storage.offload import LARGE_BATCH, map_off_loop


async def test_small_batches_stay_on_the_loop_thread_and_large_ones_leave_it():
    loop_thread = threading.get_ident()
    small = await map_off_loop(lambda _: threading.get_ident(), list(range(10)))
    large = await map_off_loop(lambda _: threading.get_ident(), list(range(LARGE_BATCH + 1)))
    assert set(small) == {loop_thread}
    assert loop_thread not in set(large)


async def test_the_loop_keeps_running_while_a_large_batch_decodes():
    ticks = 0
    started = threading.Event()

    async def ticker():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    def slow(item):
        started.set()
        # Pure-Python work of about the codec's size per item.
        return sum(i * i for i in range(2_000)) + item

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    before = ticks
    result = await map_off_loop(slow, list(range(LARGE_BATCH * 2)))
    task.cancel()
    assert started.is_set() and len(result) == LARGE_BATCH * 2
    assert ticks - before > 10, "the loop was frozen while the batch decoded"
