"""Freed memory given back to the system between the local engine's tasks.

The local engine runs every task of an episode in one long-lived process (`make generate`,
`make local`). glibc's malloc keeps what Python frees for reuse and returns it to the system
only from the top of its heap, so whatever a task freed stayed mapped for the rest of the run:
after CollectContent read an 83,805-message export, about 120 MB that nothing referenced any
more stayed in the process's RSS, and every later state's peak (the stitch, the title card)
stacked on top of it. ``malloc_trim(0)`` hands back every wholly free page of the heap,
those in the middle too (by ``madvise``), which brings the process back to what it still uses.
It is safe beside threads that are allocating (it takes each arena's lock in turn) and costs
a few milliseconds.

On Lambda each task runs in its own runtime and none of this applies. Where the C library has
no ``malloc_trim`` (macOS, musl), releasing does nothing.
"""
from __future__ import annotations

import ctypes
from typing import Callable


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the C library this process already runs on
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int  # int malloc_trim(size_t pad)
    return trim


_TRIM = _malloc_trim()


def release_freed_memory() -> bool:
    """Return the heap's free pages to the system; False where the C library cannot."""
    if _TRIM is None:
        return False
    _TRIM(0)
    return True
