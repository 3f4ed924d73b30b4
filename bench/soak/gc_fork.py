"""What a forked Celery pool child copies from its parent when its garbage collector first walks
the parent's objects, with and without freezing the parent's heap before the fork
(config/celery.py, `worker_before_create_process`).

The soak benchmark (run.py) saw the default worker's private memory step up once, about 27
minutes in, with its RSS flat: pages the child shared with its parent became its own. A full
collection writes to the header of every object it walks, so the first one in a child turns
every page of the parent's heap it touches into a private copy. This reproduces that in
seconds: a parent set up as the worker's is (Django, the Celery app, every task module), a
child forked from it, the child's private dirty memory (/proc/<pid>/smaps_rollup) before and
after one full collection.

    python bench/soak/gc_fork.py            # prints a table, writes bench/soak/gc_fork.json
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).with_name("gc_fork.json")


def private_dirty_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Private_Dirty:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no Private_Dirty line")


def one(mode: str) -> dict:
    """In this process: set up as the worker's parent, fork, measure in the child."""
    import gc

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from config.celery import _freeze_the_parents_heap, app

    app.loader.import_default_modules()  # the worker imports every task module before forking
    if mode == "freeze":
        _freeze_the_parents_heap()
    else:
        gc.collect()  # what Celery itself does before each fork (asynpool, issue #2927)
    objects = len(gc.get_objects()) + gc.get_freeze_count()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: as a pool process, until its first full collection
        os.close(read)
        before = private_dirty_mb()
        gc.collect()
        after = private_dirty_mb()
        os.write(write, json.dumps({"before": before, "after": after}).encode())
        os._exit(0)
    os.close(write)
    child = json.loads(os.read(read, 4096).decode())
    os.waitpid(pid, 0)
    return {
        "mode": mode,
        "parent_objects": objects,
        "frozen": gc.get_freeze_count(),
        "child_private_dirty_mb_before_gc": round(child["before"], 1),
        "child_private_dirty_mb_after_gc": round(child["after"], 1),
        "copied_mb": round(child["after"] - child["before"], 1),
    }


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(one(sys.argv[2])))
        return
    rows = []
    for mode in ("no-freeze", "freeze"):  # each in a fresh interpreter, as a worker starts
        out = subprocess.run(
            [sys.executable, __file__, "--one", mode],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"{'parent heap':<12} {'objects':>9} {'frozen':>9} {'child before':>13} "
          f"{'after 1 gc':>11} {'copied':>8}")  # fmt: skip
    for r in rows:
        print(
            f"{r['mode']:<12} {r['parent_objects']:>9} {r['frozen']:>9} "
            f"{r['child_private_dirty_mb_before_gc']:>10.1f} MB "
            f"{r['child_private_dirty_mb_after_gc']:>8.1f} MB {r['copied_mb']:>5.1f} MB"
        )
    OUT.write_text(
        json.dumps(
            {"measured_at": datetime.now(UTC).isoformat(timespec="seconds"), "rows": rows},
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
