"""What the report inlines: the Vega bundle (HTML), the stylesheet, the PDF's embedded fonts."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import vl_convert as vlc

from llmdecide import charts
from llmdecide.errors import ReportError
from llmdecide.report.templating import TEMPLATES_DIR

STATIC_DIR = TEMPLATES_DIR / "static"
FONTS_DIR = STATIC_DIR / "fonts"


def cache_dir() -> Path:
    """Where the vega bundle and the SVG cache live (``$XDG_CACHE_HOME/llmdecide``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "llmdecide"


CACHE_ENV = "LLMDECIDE_SVG_CACHE"
"""``0`` turns the charts' content-addressed caches off (their SVG and their PDF)."""


def cache_load(path: Path) -> bytes | None:
    """One file of a content-addressed cache folder, or None: not there, unreadable, or the
    caches turned off (:data:`CACHE_ENV`)."""
    if os.environ.get(CACHE_ENV, "1") == "0":
        return None
    try:
        return path.read_bytes()
    except OSError:
        return None


def cache_store(path: Path, data: bytes, keep: int) -> None:
    """Write one file of a content-addressed cache folder, atomically, and keep only the
    ``keep`` newest files of its kind (its suffix) there; nothing with the caches turned off
    (:data:`CACHE_ENV`). Best effort: a read-only home is fine."""
    if os.environ.get(CACHE_ENV, "1") == "0":
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        files = sorted(path.parent.glob(f"*{path.suffix}"), key=lambda p: p.stat().st_mtime)
        for old in files[:-keep]:
            old.unlink(missing_ok=True)
    except OSError:
        return


@lru_cache(maxsize=1)
def vega_bundle() -> str:
    """vega + vega-lite + vega-embed as one script (vl-convert), cached in memory and on disk
    (``~/.cache/llmdecide``) per vl-convert and Vega-Lite version: building it takes about 1 s."""
    name = f"vega-bundle-{getattr(vlc, '__version__', '')}-vl{charts.vegalite_version()}.js"
    cached = cache_dir() / name
    try:
        text = cached.read_text(encoding="utf-8")
        if text:
            return text
    except OSError:
        pass
    # vl-convert's stubs declare ``snippet`` required; at runtime it is optional (full bundle)
    text = vlc.javascript_bundle(vl_version=charts.vegalite_version())  # type: ignore[call-arg]
    if "</script" in text.lower():  # cannot happen with today's bundle; never inline it if so
        raise ReportError("the vega bundle contains '</script' and cannot be inlined")
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_name(f".{name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, cached)
    except OSError:
        pass
    return text


@lru_cache(maxsize=1)
def stylesheet() -> str:
    return (STATIC_DIR / "report.css").read_text(encoding="utf-8")


def font_faces() -> list[dict[str, str]]:
    """@font-face sources for the PDF: local files only (``file://`` URLs)."""
    faces = [
        ("DejaVuSans.ttf", "normal", "normal"),
        ("DejaVuSans-Bold.ttf", "bold", "normal"),
        ("DejaVuSans-Oblique.ttf", "normal", "italic"),
    ]
    return [
        {"url": (FONTS_DIR / file).as_uri(), "weight": weight, "style": style}
        for file, weight, style in faces
        if (FONTS_DIR / file).is_file()
    ]
