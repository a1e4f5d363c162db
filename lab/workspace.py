"""The learner's copies of the lessons: ``make lab`` opens JupyterLab on them, so ``git pull`` never conflicts.

    python lab/workspace.py [--work my-work]

The course's notebooks (``notebooks/*.ipynb``) and exercises (``exercises/*/*.ipynb``) are copied into ``my-work/``
(ignored by git) with the same folders, so their links to each other still work. JupyterLab serves ``my-work/``
only: a learner runs and saves the copies, the course's own files stay as git has them, and ``git pull`` brings
course updates without conflicts. Each run (every ``make lab``):

- copies what the learner does not have yet (a new lesson after a pull);
- replaces a copy the learner never changed when the course's file changed (it records, in
  ``my-work/.course-versions.json``, the version each copy was made from);
- keeps a copy the learner changed (ran, edited, saved) when the course's file changed too, and says so: to take
  the new version, move the copy away (or delete it) and run ``make lab`` again.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("notebooks/*.ipynb", "exercises/*/*.ipynb")
RECORD = ".course-versions.json"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sync(root: Path = ROOT, work: Path | None = None, log=print) -> dict[str, list[str]]:
    """Bring ``work`` (default ``root/my-work``) up to date with the course in ``root``; return what was done:
    ``{"copied": [...], "updated": [...], "kept": [...]}`` (paths relative to ``root``)."""
    work = work or root / "my-work"
    work.mkdir(parents=True, exist_ok=True)
    record_path = work / RECORD
    record = json.loads(record_path.read_text()) if record_path.exists() else {}
    done: dict[str, list[str]] = {"copied": [], "updated": [], "kept": []}
    for pattern in SOURCES:
        for source in sorted(root.glob(pattern)):
            name = source.relative_to(root).as_posix()
            copy, course = work / name, digest(source)
            if not copy.exists():
                action = "copied"
            elif record.get(name) == course or digest(copy) == course:
                record[name] = course
                continue
            elif digest(copy) == record.get(name):
                action = "updated"  # the learner never changed it: take the course's new version
            else:
                done["kept"].append(name)
                continue
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy)
            record[name] = course
            done[action].append(name)
    record_path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    where = work.relative_to(root) if work.is_relative_to(root) else work
    if done["copied"]:
        log(f"{len(done['copied'])} notebooks copied into {where}/: JupyterLab opens your copies there.")
    if done["updated"]:
        log(f"Updated from the course (you had not changed them): {', '.join(done['updated'])}")
    for name in done["kept"]:
        log(f"The course changed {name}; your copy {where}/{name} has your work, so it was kept. To take the new "
            f"version, move your copy away (or delete it) and run make lab again.")
    return done


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=ROOT / "my-work", help="the learner's folder (default: my-work)")
    args = parser.parse_args(argv)
    sync(ROOT, args.work.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
