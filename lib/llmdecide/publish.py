"""Atomic publication of a run folder, with history, and recovery of interrupted runs.

Layout under the reports root::

    reports/<slug>/                 the latest published run (report.html, report.pdf, results.json, …)
    reports/<slug>/history/<id>/    older runs, newest kept (``keep`` of them)
    reports/.<slug>.tmp-<id>/       a run being built (never read by anyone else)
    reports/.failed/<slug>/<id>/    executed notebooks of a failed run, kept to open

Publishing swaps the built folder and the published one in a single ``renameat2(RENAME_EXCHANGE)``
(Linux) so that ``reports/<slug>`` is always a complete report; then the old run (now in the temporary
folder) and its history move under the new folder's ``history/``. A run killed at any moment leaves
either the old or the new report complete; ``recover`` finishes or discards what was left over.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import re
import shutil
from pathlib import Path

from llmdecide.errors import InputError, Problem, RunError

REPORTS_ENV = "LLMDECIDE_REPORTS"
DEFAULT_REPORTS = "reports"
TMP_PREFIX = "."
TMP_MARK = ".tmp-"
RUN_FILE = "run.json"
HISTORY = "history"
FAILED = ".failed"

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def default_reports_root() -> Path:
    """The reports root when no ``--reports-dir`` is given: ``$LLMDECIDE_REPORTS``, else
    ``./reports``."""
    return Path(os.environ.get(REPORTS_ENV, DEFAULT_REPORTS)).resolve()


def check_slug(slug: str, file: str = "slug") -> str:
    """A client slug: lower-case letters, digits and dashes; no path tricks."""
    if not _SLUG.match(slug):
        raise InputError(
            Problem(
                file,
                "slug",
                f"{slug!r} is not a valid client slug: use lower-case letters, digits and dashes "
                "(e.g. acme-retail), no dots, slashes or spaces",
            )
        )
    return slug


def confined(root: Path, *parts: str) -> Path:
    """``root/parts`` resolved, refusing anything that would land outside ``root``."""
    root = root.resolve()
    path = root.joinpath(*parts).resolve()
    if path != root and root not in path.parents:
        raise RunError(f"refusing to write outside {root}: {path}")
    return path


def tmp_dir(root: Path, slug: str, run_id: str) -> Path:
    return confined(root, f"{TMP_PREFIX}{slug}{TMP_MARK}{run_id}")


def failed_dir(root: Path, slug: str, run_id: str) -> Path:
    return confined(root, FAILED, slug, run_id)


def run_id_of(folder: Path) -> str | None:
    try:
        return str(json.loads((folder / RUN_FILE).read_text(encoding="utf-8"))["run_id"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2). False when the platform cannot."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    rc = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc != 0:
        err = ctypes.get_errno()
        if err in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: the file system cannot exchange
            return False
        raise OSError(err, os.strerror(err), str(a))
    return True


def _history_of(folder: Path) -> Path:
    """``folder/history``, refused when it is a symbolic link: following it would move runs out
    of the reports root, or files from elsewhere into it, and prune (delete) folders there."""
    history = folder / HISTORY
    if history.is_symlink():
        raise RunError(
            f"refusing to use {history}: it is a symbolic link (to {os.readlink(history)}), "
            "history/ must be a folder inside the report; remove the link"
        )
    return history


def _remove(path: Path) -> None:
    """Delete a run folder; a symbolic link is removed, never what it points to."""
    if path.is_symlink() or not path.is_dir():
        path.unlink()
    else:
        shutil.rmtree(path)


def _archive_old(old: Path, target: Path, keep: int) -> None:
    """Move a previously published run (``old``) and its history under ``target/history``."""
    history = _history_of(target)
    old_history = _history_of(old)
    history.mkdir(exist_ok=True)
    if old_history.is_dir():
        for entry in sorted(old_history.iterdir()):
            dest = history / entry.name
            if not dest.exists() and not dest.is_symlink():
                os.rename(entry, dest)
        shutil.rmtree(old_history)
    old_id = run_id_of(old) or old.name.rsplit(TMP_MARK, 1)[-1]
    dest = history / old_id
    if dest.exists() or dest.is_symlink():
        _remove(dest)
    os.rename(old, dest)
    prune_history(target, keep)


def prune_history(target: Path, keep: int) -> None:
    history = _history_of(target)
    if not history.is_dir():
        return
    runs = sorted(p for p in history.iterdir() if p.is_dir())
    for stale in runs[: max(0, len(runs) - keep)]:
        _remove(stale)


def publish(built: Path, target: Path, keep: int) -> None:
    """Make ``built`` the published ``target``; the previous one goes to ``target/history``."""
    if not (built / RUN_FILE).is_file():
        raise RunError(f"refusing to publish {built}: it has no {RUN_FILE}, so it is incomplete")
    if not target.exists():
        os.rename(built, target)
        return
    _history_of(target)  # checked before anything moves
    _history_of(built)
    if not _exchange(built, target):
        # Fallback (non-Linux): two renames; recover() restores ``target`` if killed in between.
        parked = built.with_name(built.name + ".old")
        os.rename(target, parked)
        os.rename(built, target)
        built = parked
    _archive_old(built, target, keep)


def recover(root: Path, slug: str, keep: int) -> list[str]:
    """Tidy what an interrupted run of ``slug`` left; returns what was done, in words.

    - an unfinished build (no ``run.json``, or newer than the published run) is deleted;
    - an old published run left behind by an interrupted publish is archived into history;
    - if the published folder is missing but a parked old run exists, it is restored.
    """
    done: list[str] = []
    if not root.is_dir():
        return done
    target = confined(root, slug)
    prefix = f"{TMP_PREFIX}{slug}{TMP_MARK}"
    leftovers = sorted(p for p in root.iterdir() if p.name.startswith(prefix) and p.is_dir())
    if not target.exists():
        parked = [p for p in leftovers if p.name.endswith(".old") and run_id_of(p)]
        if parked:
            os.rename(parked[-1], target)
            done.append(f"restored the published report from {parked[-1].name}")
            leftovers = [p for p in leftovers if p != parked[-1]]
    current = run_id_of(target) if target.exists() else None
    for left in leftovers:
        left_id = run_id_of(left)
        if left_id and current and left_id < current:
            _archive_old(left, target, keep)
            done.append(f"archived run {left_id} left by an interrupted publish")
        else:
            shutil.rmtree(left, ignore_errors=True)
            done.append(f"removed unfinished run folder {left.name}")
    return done
