"""Atomic publish, history and recovery (no notebooks needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmdecide import publish
from llmdecide.errors import InputError, RunError


def _built(root: Path, slug: str, run_id: str, text: str) -> Path:
    folder = publish.tmp_dir(root, slug, run_id)
    folder.mkdir(parents=True)
    (folder / "report.html").write_text(text)
    (folder / "run.json").write_text(json.dumps({"run_id": run_id}))
    return folder


def test_first_publish_renames_into_place(tmp_path: Path) -> None:
    built = _built(tmp_path, "acme", "20260101T000000Z-aaaa", "one")
    publish.publish(built, tmp_path / "acme", keep=5)
    assert (tmp_path / "acme" / "report.html").read_text() == "one"
    assert not built.exists()


def test_second_publish_moves_previous_into_history(tmp_path: Path) -> None:
    target = tmp_path / "acme"
    publish.publish(_built(tmp_path, "acme", "20260101T000000Z-aaaa", "one"), target, keep=5)
    publish.publish(_built(tmp_path, "acme", "20260102T000000Z-bbbb", "two"), target, keep=5)
    publish.publish(_built(tmp_path, "acme", "20260103T000000Z-cccc", "three"), target, keep=5)
    assert (target / "report.html").read_text() == "three"
    history = sorted(p.name for p in (target / "history").iterdir())
    assert history == ["20260101T000000Z-aaaa", "20260102T000000Z-bbbb"]
    assert (target / "history" / "20260102T000000Z-bbbb" / "report.html").read_text() == "two"
    # history folders never nest
    assert not (target / "history" / "20260102T000000Z-bbbb" / "history").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["acme"]


def test_history_keeps_the_newest(tmp_path: Path) -> None:
    target = tmp_path / "acme"
    for day in range(1, 6):
        built = _built(tmp_path, "acme", f"202601{day:02d}T000000Z-aaaa", str(day))
        publish.publish(built, target, keep=2)
    assert sorted(p.name for p in (target / "history").iterdir()) == [
        "20260103T000000Z-aaaa",
        "20260104T000000Z-aaaa",
    ]


def test_refuses_to_publish_an_incomplete_build(tmp_path: Path) -> None:
    folder = publish.tmp_dir(tmp_path, "acme", "x")
    folder.mkdir()
    with pytest.raises(RunError, match="incomplete"):
        publish.publish(folder, tmp_path / "acme", keep=5)


def test_recover_removes_an_unfinished_build_and_archives_an_orphaned_old_run(
    tmp_path: Path,
) -> None:
    target = tmp_path / "acme"
    publish.publish(_built(tmp_path, "acme", "20260102T000000Z-bbbb", "current"), target, 5)
    unfinished = publish.tmp_dir(tmp_path, "acme", "20260103T000000Z-cccc")
    unfinished.mkdir()
    (unfinished / "report.html").write_text("half")
    # a publish killed right after the exchange leaves the *older* run in a tmp folder
    orphan = _built(tmp_path, "acme", "20260101T000000Z-aaaa", "old")
    done = publish.recover(tmp_path, "acme", keep=5)
    assert len(done) == 2
    assert (target / "report.html").read_text() == "current"
    assert (target / "history" / "20260101T000000Z-aaaa" / "report.html").read_text() == "old"
    assert not unfinished.exists() and not orphan.exists()


def test_recover_restores_a_parked_report(tmp_path: Path) -> None:
    parked = _built(tmp_path, "acme", "20260101T000000Z-aaaa", "old")
    parked = parked.rename(parked.with_name(parked.name + ".old"))
    publish.recover(tmp_path, "acme", keep=5)
    assert (tmp_path / "acme" / "report.html").read_text() == "old"


@pytest.mark.parametrize("slug", ["../etc", "a/b", "Acme", "-x", "", "a.b", "a" * 80])
def test_bad_slugs_are_refused(slug: str) -> None:
    with pytest.raises(InputError, match="not a valid client slug"):
        publish.check_slug(slug)


def test_confined_refuses_escape(tmp_path: Path) -> None:
    with pytest.raises(RunError, match="outside"):
        publish.confined(tmp_path, "..", "elsewhere")
