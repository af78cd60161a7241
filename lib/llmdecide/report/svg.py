"""The PDF's charts as static SVG (vl-convert): a content-addressed disk cache, and a converter
that shares the work with a helper process while the rest of the report renders.

``LLMDECIDE_SVG_CACHE=0`` turns the cache off, ``LLMDECIDE_SVG_HELPER=0`` the helper
(docs/architecture.md); the SVGs are the same either way.
"""

from __future__ import annotations

import atexit
import collections
import hashlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import vl_convert

from llmdecide import charts
from llmdecide.report.assets import cache_dir, cache_load, cache_store


def chart_svgs(specs: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Static SVG of every chart: one vl-convert call per chart (see :class:`SvgConverter`)."""
    converter = SvgConverter()
    for name, spec in specs.items():
        converter.add(name, spec)
    return converter.results()


SVG_CACHE_FILES = 400  # about 20 MB; the oldest files go first


def _svg_cache_path(request: Mapping[str, Any]) -> Path:
    """Content-addressed: the conversion request (spec + options), vl-convert's version and
    what :func:`charts.finish_svg` does to its output (``charts.FINISH_VERSION``)."""
    vl_version = getattr(vl_convert, "__version__", "")

    key = json.dumps(request, sort_keys=True, default=str) + vl_version
    key += f"/finish {charts.FINISH_VERSION}"
    return cache_dir() / "svg" / (hashlib.sha256(key.encode()).hexdigest() + ".svg")


def svg_cache_read(request: Mapping[str, Any]) -> str | None:
    """A chart's SVG drawn earlier for the very same request, if the cache still has it."""
    data = cache_load(_svg_cache_path(request))
    try:
        return None if data is None else data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def svg_cache_write(request: Mapping[str, Any], svg: str) -> None:
    """Best effort (a read-only home is fine): write atomically, keep the newest files."""
    cache_store(_svg_cache_path(request), svg.encode("utf-8"), SVG_CACHE_FILES)


class SvgConverter:
    """Converts charts to SVG, one vl-convert call each, shared between this process and a helper.

    vl-convert draws one chart at a time per process and holds the GIL while it does, so threads
    do not help. A helper process (plain ``python -c``, vl-convert only, kept for the next
    renders) takes charts from the front of the queue as they are added, while this process keeps
    building charts, renders the HTML and starts the PDF; WeasyPrint asks for each chart when it
    reaches it (:meth:`get`), and this process converts the charts the helper has not taken yet
    rather than wait. If the helper is unavailable or fails, this process converts everything
    itself: the same SVG either way. ``LLMDECIDE_SVG_HELPER=0`` turns the helper off.
    """

    def __init__(self) -> None:
        self._queue: collections.deque[str] = collections.deque()
        self._requests: dict[str, dict[str, Any]] = {}
        self._svgs: dict[str, str] = {}
        self._wake = threading.Condition(threading.Lock())
        self._closed = False
        self._helper: Any = None
        self._thread: threading.Thread | None = None
        self._started = False

    def _start_helper(self) -> None:
        """Started with the first chart that is not in the cache (a cached re-render needs none)."""
        self._started = True
        self._helper = _svg_helper()
        if self._helper is not None:
            self._thread = threading.Thread(target=self._feed_helper, daemon=True)
            self._thread.start()

    def add(self, name: str, spec: Mapping[str, Any]) -> None:
        request = charts.svg_request(spec)
        cached = svg_cache_read(request)
        with self._wake:
            self._requests[name] = request
            if cached is not None:  # the same chart was drawn before (a re-render): reuse it
                self._svgs[name] = cached
                return
            self._queue.append(name)
            self._wake.notify_all()
        if not self._started:
            self._start_helper()

    def _store(self, name: str, svg: str) -> None:
        """Keep one chart's SVG (caller holds the lock) and write it to the disk cache."""
        self._svgs[name] = svg
        svg_cache_write(self._requests[name], svg)

    def _feed_helper(self) -> None:
        assert self._helper is not None
        while True:
            with self._wake:
                while not self._queue and not self._closed:
                    self._wake.wait()
                if not self._queue:
                    return
                name = self._queue.popleft()
            svg = self._helper.convert(self._requests[name])
            with self._wake:
                if svg is None:  # the helper failed: give the chart back and stop using it
                    self._queue.appendleft(name)
                else:
                    self._store(name, charts.finish_svg(svg))
                self._wake.notify_all()
            if svg is None:
                return

    def _helper_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def get(self, name: str) -> str:
        """The SVG of one chart: ready, or converted here, or awaited from the helper (while
        waiting, this process converts another chart nobody has taken)."""
        while True:
            with self._wake:
                if name in self._svgs:
                    return self._svgs[name]
                if name not in self._requests:
                    raise KeyError(name)
                if name in self._queue:
                    self._queue.remove(name)
                    mine = name
                elif self._queue:
                    mine = self._queue.pop()
                elif self._helper_alive():
                    self._wake.wait(timeout=0.5)
                    continue
                else:  # the helper took it and stopped without an answer
                    mine = name
            svg = charts.convert_request(self._requests[mine])
            with self._wake:
                self._store(mine, svg)
                self._wake.notify_all()

    def results(self) -> dict[str, str]:
        """Every SVG by name (converting or awaiting what is missing), then stop the feeding."""
        out = {name: self.get(name) for name in list(self._requests)}
        self.close()
        return out

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join()


# The helper: a small loop reading one JSON request per line (vegalite_to_svg arguments) and
# answering one JSON line {"svg": …} or {"error": …}. It imports only vl_convert, and exits when
# its stdin closes (this process ended).
_SVG_HELPER_CODE = """
import json, sys
import vl_convert as vlc
if len(sys.argv) > 1:
    vlc.register_font_directory(sys.argv[1])
for line in sys.stdin:
    try:
        answer = {"svg": vlc.vegalite_to_svg(**json.loads(line))}
    except Exception as error:
        answer = {"error": f"{type(error).__name__}: {error}"}
    sys.stdout.write(json.dumps(answer) + "\\n")
    sys.stdout.flush()
"""
SVG_HELPER_ENV = "LLMDECIDE_SVG_HELPER"


class _SvgHelper:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _SVG_HELPER_CODE, str(charts.font_directory())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
        )
        self.failed = False
        self.pid = os.getpid()  # a forked child must not talk over its parent's pipes
        self.lock = threading.Lock()  # one request at a time, whatever the calling thread

    def convert(self, request: Mapping[str, Any]) -> str | None:
        with self.lock:
            if self.failed or self.process.poll() is not None:
                self.failed = True
                return None
            try:
                assert self.process.stdin is not None and self.process.stdout is not None
                self.process.stdin.write(json.dumps(request) + "\n")
                self.process.stdin.flush()
                answer = json.loads(self.process.stdout.readline() or "{}")
            except (OSError, ValueError):
                answer = {}
        if "svg" not in answer:
            self.failed = True
            return None
        return str(answer["svg"])

    def close(self) -> None:
        if self.pid != os.getpid():
            return
        if self.process.poll() is None:
            try:
                if self.process.stdin:
                    self.process.stdin.close()
                self.process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()


_helper: _SvgHelper | None = None


def _svg_helper() -> _SvgHelper | None:
    """The helper process, started on first use and kept (a batch renders many reports); None
    when turned off, on a single core, or when it failed."""
    global _helper
    if os.environ.get(SVG_HELPER_ENV, "1") == "0" or (os.cpu_count() or 1) < 2:
        return None
    if _helper is not None and _helper.pid != os.getpid():
        _helper = None  # inherited through fork: the parent's helper, not ours
    if _helper is not None and (_helper.failed or _helper.process.poll() is not None):
        _helper.close()
        _helper = None
    if _helper is None:
        try:
            _helper = _SvgHelper()
        except OSError:
            return None
        atexit.register(_helper.close)
    return _helper
