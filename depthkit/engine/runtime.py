"""Process-wide settings that make small-tensor training fast on a CPU.

Called once when depthkit is imported, before torch does any parallel work:

- Flush denormal floats to zero. Deep sigmoid networks produce tiny floats
  that slow the CPU about 9x (sigmoid, depth 50: 48 s vs 5 s); the flag only
  reaches torch's worker threads when set before they start.
- Keep freed memory in glibc's heap instead of returning it to the kernel.
  Every training step allocates dozens of ~1 MB tensors; by default glibc
  serves each with a fresh mmap, and the page faults made an elementwise op
  on 256k floats take 473 us instead of 87 us (measured on the 2-core machine).
- At most two glibc heaps (arenas). Streamlit runs each session's script in
  its own thread, and glibc gives threads their own heaps, each keeping the
  freed memory above: on a one-CPU server that is memory held, not speed.
- `release_freed_memory()`: after a visitor's computation, the freed memory
  kept above goes back to the kernel, so the next computation starts from
  the server's live data, not from the last one's high-water mark.
- `set_threads(n)`: torch's intra-op threads for this process.
- `freeze_startup_heap()` and `settle_heap()`: a server's long-lived objects
  (the imports of torch, plotly, Streamlit: ~320k objects; then what the
  warm-up leaves in memory) left out of every later full garbage collection.
  A full pass over them took 150-190 ms of the one core that holds the GIL.
  Streamlit ran one after every script run (`runner.postScriptGC`, now off in
  .streamlit/config.toml): a poll room of 100 phones redrawing every 3 s asked
  for 5 s of collection per second (bench/poll_load.py: presenter p95 19.9 s
  -> 2.0 s); Python's own occasional full passes still pause a visitor's run
  unless these objects are frozen.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc

import torch

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
_libc = None
_configured = False
_frozen = False


def configure() -> None:
    """Apply the process-wide settings once."""
    global _configured, _libc
    if _configured:
        return
    _configured = True
    torch.set_flush_denormal(True)
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        if libc is not None and hasattr(libc, "mallopt"):  # glibc only
            libc.mallopt(_M_MMAP_THRESHOLD, 256 * 1024 * 1024)
            libc.mallopt(_M_TRIM_THRESHOLD, 64 * 1024 * 1024)
            libc.mallopt(_M_ARENA_MAX, 2)
            _libc = libc
    except OSError:  # another C library: keep its defaults
        pass


def release_freed_memory() -> bool:
    """Return the C heap's free pages to the kernel (glibc's malloc_trim); False elsewhere."""
    if _libc is None or not hasattr(_libc, "malloc_trim"):
        return False
    _libc.malloc_trim(0)
    return True


def set_threads(n: int) -> int:
    """Use `n` torch threads (bounded to 1..64); returns the number in effect."""
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 64:
        raise ValueError(f"threads={n!r}: expected a whole number in [1, 64]")
    torch.set_num_threads(n)
    return torch.get_num_threads()


def freeze_startup_heap() -> bool:
    """Move every object alive now into the garbage collector's permanent generation; once per process.

    Called by the app's entry script after its imports: the modules, classes and
    functions they created live as long as the process, so a full collection
    scanning them finds nothing and costs a pass over ~320k objects. Objects
    made later (sessions, results, figures) are still collected. Returns True
    when this call froze, False if the heap was frozen already (a later call
    would freeze sessions' objects, which are not immortal).
    """
    global _frozen
    if _frozen:  # a flag: gc.get_freeze_count() walks the frozen objects (~20 ms)
        return False
    _frozen = True
    gc.freeze()
    return True


def settle_heap() -> None:
    """Collect garbage now, then keep every object still alive out of later full collections
    (`gc.freeze`). Called when the warm-up ends: what is alive then is the server's long-lived
    state (results and figures in memory among it). A cycle among them that dies later is
    not freed. The warm-up's scratch memory then goes back to the system."""
    gc.collect()
    gc.freeze()
    release_freed_memory()
