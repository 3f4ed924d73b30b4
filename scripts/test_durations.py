"""Refresh tests/durations.json, the seconds each test file took, from a JUnit report:

    .venv/bin/python -m pytest -n 2 --dist loadfile --junitxml=/tmp/suite.xml
    .venv/bin/python scripts/test_durations.py /tmp/suite.xml

`make test` hands the files to its two processes longest first (tests/conftest.py,
`pytest_collection_modifyitems`), so that no long file starts last and keeps one process busy
while the other has finished. The figures only order the files: a stale or missing one (a new
file) changes how soon the suite ends, never what it runs or whether it passes."""

from __future__ import annotations

import collections
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "tests" / "durations.json"


def main(report: str) -> None:
    seconds: dict[str, float] = collections.defaultdict(float)
    # the report is our own pytest run's
    for case in ET.parse(report).iter("testcase"):  # noqa: S314
        seconds[case.get("classname").replace(".", "/") + ".py"] += float(case.get("time") or 0)
    ordered = dict(sorted(((f, round(s, 1)) for f, s in seconds.items()), key=lambda p: -p[1]))
    OUT.write_text(json.dumps(ordered, indent=0) + "\n")
    print(f"{OUT}: {len(ordered)} files, {sum(ordered.values()) / 60:.1f} minutes in all")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} JUNIT_XML")
    main(sys.argv[1])
