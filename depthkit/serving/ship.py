"""The results shipped with the app: every page's default view and presets, computed ahead, in git.

    python -m depthkit.ship             # regenerate data/shipped/ for the current code
    python -m depthkit.ship --check     # is the shipped set current? (exit status 1 if not)

Community Cloud wipes the disk store (data/results) whenever it reboots the app
or puts it to sleep, so without these a freshly started app would train its
first views while its first visitors wait. The shipped set holds exactly the
warm-up's jobs (`depthkit.experiments.warmup_jobs`: every challenge page's
default view and presets; never the Training speed page's live timings, which
are measured live) in `data/shipped/<code hash>/`, one file per result in the
disk store's format (`depthkit.serving.store`: the key and a checksum in a header).

At run time the app reads it with `ResultStore(read_only=True)`, after the
memory cache and the writable store: a file of other code (another hash
folder: the set is stale), with a wrong key or checksum, or one that no longer
unpickles is a miss, and the page (or the warm-up) computes the result as if
nothing were shipped. The code hash covers only the code that makes results
(`depthkit.serving.store.result_modules`), so editing words, charts or the UI keeps the
set current.

The set also holds the charts of those views in both modes, as plotly specs
(depthkit.serving.figures, depthkit.presentation.views), so a freshly booted app builds no figure
for them either. A figure's key holds a hash of the chart code: after a chart
edit the shipped figures are misses (the warm-up draws them) and `--check`
says the set is stale.

Regenerating skips the results and figures already shipped for this code,
removes other code versions' folders and files that are no longer a job or
one of its figures, and computes the rest in `--workers` processes of one
torch thread each. The folder's `machine.txt` names the CPU and torch build
that computed its results (a line per machine, should a later run on another
one add results): another CPU rounds differently, and a server on any CPU
serves the set as it is, with the words beside each result computed from it. The Training speed
page's trained results hold wall times that the page shows, so they are
computed alone, after the others, never beside another job.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from depthkit.serving.figures import STORE_NAME, Figures, figure_key
from depthkit.serving.store import ResultStore
from depthkit.serving.warmup import Job, job_name, jobs_of

SHIPPED_DIR = Path(__file__).resolve().parents[2] / "data" / "shipped"
TIMED = ("depthkit.experiments.speed.run",)  # results holding wall times a page shows: computed alone
MACHINE_FILE = "machine.txt"  # in the code version's folder: which machine computed the results
NO_LIMIT = 1 << 40  # the shipped folder is bounded by its job list, not by the store's LRU


def default_jobs() -> list[Job]:
    from depthkit.experiments import warmup_jobs
    return jobs_of(warmup_jobs())


def shipped(folder: str | Path = SHIPPED_DIR) -> ResultStore:
    """The shipped results of the current code, read-only."""
    return ResultStore(folder, read_only=True)


@dataclass
class Status:
    """How the shipped set in a folder compares with the current code's jobs."""

    version: str
    jobs: int
    missing: list[str]  # "name(settings)" of each job with no readable shipped file
    bytes: int  # this version's files
    stale_versions: list[str]  # other code versions' folders still there
    figures: int = 0  # the charts of the shipped views, in both modes
    missing_figures: int = 0  # of those, not shipped for this chart code
    machines: tuple[str, ...] = ()  # the lines of machine.txt: what computed the results

    @property
    def current(self) -> bool:
        return not self.missing and not self.missing_figures

    def line(self) -> str:
        return (f"shipped_current={'yes' if self.current else 'no'} code_hash={self.version} "
                f"jobs={self.jobs} missing={len(self.missing)} figures={self.figures} "
                f"missing_figures={self.missing_figures} size_mb={self.bytes / 1e6:.1f}"
                f" computed_on={' + '.join(self.machines) or 'unknown'!r}"
                + ("" if self.current else "  (regenerate: python -m depthkit.ship)"))


def status(folder: str | Path = SHIPPED_DIR, jobs: list[Job] | None = None) -> Status:
    """Which of `jobs` (default: the warm-up's) the folder ships, readable, for the current code."""
    store = shipped(folder)
    jobs = default_jobs() if jobs is None else jobs
    missing = [f"{name}({settings!r})" for name, _, settings in jobs if store.get(name, settings) is None]
    files = [p for p in store.entries() if p.parent.name == store.version]
    stale = sorted(p.name for p in Path(folder).glob("*") if p.is_dir() and p.name != store.version)
    keys = figure_keys(_charts(store, jobs))
    readable = Figures(None, shipped=store)
    missing_figures = sum(readable.kept(key) is None for key in keys)
    return Status(store.version, len(jobs), missing, sum(p.stat().st_size for p in files), stale,
                  len(keys), missing_figures, machines_of(store))


def machine() -> str:
    """This machine as machine.txt names it: CPU model, torch version and kernel set, threads."""
    import torch

    from depthkit.experiments.timing import cpu_name
    return (f"{cpu_name()}; torch {torch.__version__}, ATen {torch.backends.cpu.get_cpu_capability()} "
            "kernels, 1 thread per result")


def machines_of(store: ResultStore) -> tuple[str, ...]:
    """The machines that computed `store`'s current results (machine.txt), oldest first."""
    path = store.folder / store.version / MACHINE_FILE
    return tuple(line for line in path.read_text().splitlines() if line) if path.is_file() else ()


def _record_machine(store: ResultStore, fresh: bool) -> None:
    """Add this machine to machine.txt, once; `fresh`: it computed every result, so it alone."""
    before = () if fresh else machines_of(store)
    path = store.folder / store.version / MACHINE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in dict.fromkeys((*before, machine()))))


def _charts(store: ResultStore, jobs: list[Job]) -> list:
    """(builder, result, args) of every chart the views of `jobs` draw from the results in `store`."""
    from depthkit.presentation.views import all_views
    shipped_jobs = {(name, repr(settings)) for name, _, settings in jobs}

    def get(fn: Callable, settings: Any) -> Any:
        name = job_name(fn)
        return store.get(name, settings) if (name, repr(settings)) in shipped_jobs else None

    return all_views(get)


def figure_keys(charts: list) -> list[tuple]:
    """The keys of `charts`' figures (from `_charts`), both modes (depthkit.serving.figures)."""
    return [figure_key(build, result, args, presenter) for build, result, args in charts
            for presenter in (False, True)]


def _ship_figures(out: ResultStore, jobs: list[Job], say: Callable[[str], None]) -> set[Path]:
    """Draw the charts of the shipped views into `out`; their paths."""
    figures = Figures(out)
    charts = _charts(out, jobs)
    for build, result, args in charts:
        for presenter in (False, True):
            figures.prepare(build, result, args, presenter)
    say(f"  {2 * len(charts)} figures ({figures.built} drawn)")
    return {out.path(STORE_NAME, key) for key in figure_keys(charts)}


def _compute(fn: Callable[[Any], Any], settings: Any) -> Any:
    import torch
    torch.set_num_threads(1)  # as the app computes: one torch thread per run
    return fn(settings)


def regenerate(folder: str | Path = SHIPPED_DIR, jobs: list[Job] | None = None, workers: int = 2,
               force: bool = False, say: Callable[[str], None] = print) -> Status:
    """Make `folder` ship exactly `jobs` (default: the warm-up's) for the current code; see the module doc."""
    jobs = default_jobs() if jobs is None else jobs
    out = ResultStore(folder, max_bytes=NO_LIMIT)
    out.trim()  # other code versions' folders go first
    todo = [job for job in jobs if force or out.get(job[0], job[2]) is None]
    alone = [job for job in todo if job[0] in TIMED]
    rest = [job for job in todo if job[0] not in TIMED]
    say(f"shipping {len(jobs)} results for code {out.version}: {len(todo)} to compute "
        f"({len(rest)} in {workers} processes, then {len(alone)} timed ones alone)")
    if workers > 1 and len(rest) > 1:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            futures = [(job, pool.submit(_compute, job[1], job[2])) for job in rest]
            for (name, _, settings), future in futures:
                out.put(name, settings, future.result())
                say(f"  done {name}")
    else:
        alone = rest + alone
    for name, fn, settings in alone:
        out.put(name, settings, _compute(fn, settings))
        say(f"  done {name} (alone)")
    if todo:
        _record_machine(out, fresh=len(todo) == len(jobs))
    wanted = {out.path(name, settings) for name, _, settings in jobs} | _ship_figures(out, jobs, say)
    for path in out.entries():
        if path not in wanted:
            path.unlink()  # a preset that no longer exists, a figure of older chart code
    return status(folder, jobs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m depthkit.ship", description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="only say whether the shipped set is current")
    ap.add_argument("--folder", default=str(SHIPPED_DIR))
    ap.add_argument("--workers", type=int, default=2, help="processes computing at once (default 2)")
    ap.add_argument("--force", action="store_true", help="recompute results already shipped")
    args = ap.parse_args(argv)
    if args.check:
        now = status(args.folder)
        print(now.line())
        return 0 if now.current else 1
    t = time.perf_counter()
    now = regenerate(args.folder, workers=args.workers, force=args.force)
    print(f"{now.line()} seconds={time.perf_counter() - t:.0f}")
    return 0 if now.current else 1


if __name__ == "__main__":
    sys.exit(main())
