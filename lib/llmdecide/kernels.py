"""The boundary between the runner and the notebooks' kernels: where kernels listen, and how an
error raised in a kernel comes back as data.

- Transport: IPC (Unix sockets), one fresh path per kernel. Parallel kernels (notebooks 01 and 02
  of one client side by side, or the clients of a batch) then neither clash nor race for TCP
  ports, and no unencrypted-TCP warning is printed. Used by ``runner`` for every notebook it
  executes and by ``batch`` for papermill's default engine in its workers.
- Warm kernels: a notebook that must wait for another's outputs (03 reads what 02 wrote) gets
  its kernel started ahead, with the modules it imports already loaded (:class:`WarmKernel`),
  so that neither the kernel's start nor its imports lie on the run's critical path.
- Errors: a notebook's entry point (``stages.critical_performance``…) is wrapped in
  :func:`structured_errors`. When it raises one of our errors inside a kernel, the cell first
  displays the error's record (``errors.to_record``) under the MIME type :data:`ERROR_MIME`, then
  the exception goes on as usual (JupyterLab shows its message and traceback). papermill saves
  the executed notebook with that output; the runner reads it back (:func:`error_record`) and
  rebuilds the exception from its fields (``errors.from_record``): it never parses the message.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import queue
import secrets
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from llmdecide import errors

ERROR_MIME = "application/vnd.llmdecide.error+json"
"""The MIME type of an error record in a cell's outputs (``display_data``)."""
_P = ParamSpec("_P")
_R = TypeVar("_R")

TRANSPORT_ENV = "LLMDECIDE_KERNEL_TRANSPORT"
SOCKET_PATH_MAX = 100
"""Unix socket paths are limited to 107 bytes on Linux (and 103 on macOS)."""


def kernel_manager_kwargs() -> dict[str, Any]:
    """papermill/nbclient keyword arguments that put one kernel on the IPC transport.

    Each call gives a fresh socket path in Jupyter's private runtime folder, so parallel kernels
    neither clash nor race for TCP ports. ``{}`` (TCP) where IPC is unavailable, when the path
    would be too long for a Unix socket, or when ``$LLMDECIDE_KERNEL_TRANSPORT`` is ``tcp``.
    Usage: ``papermill.execute_notebook(..., **kernel_manager_kwargs())``.
    """
    if os.name != "posix" or os.environ.get(TRANSPORT_ENV, "ipc").lower() == "tcp":
        return {}
    try:
        # jupyter_core, traitlets: every kernel imports this module (stages), needs only structured_errors
        from jupyter_core.paths import jupyter_runtime_dir
        from traitlets.config import Config

        folder = Path(jupyter_runtime_dir())
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except (ImportError, OSError):
        return {}
    ip = str(folder / f"llmdecide-{secrets.token_hex(6)}")
    if len(os.fsencode(ip)) + len("-ipc-99") > SOCKET_PATH_MAX:
        return {}
    return {"config": Config({"KernelManager": {"transport": "ipc", "ip": ip}})}


def use_ipc_kernels() -> None:
    """Make papermill's default engine in this process start its kernels on IPC.

    Registers, through papermill's engine registry, a subclass of its nbclient engine that adds
    ``kernel_manager_kwargs()`` to every execution; nothing else changes. Called in batch workers.
    """
    # papermill starts pyarrow threads: never in batch's forkserver (it imports this module)
    from papermill.engines import NBClientEngine, papermill_engines

    class IpcNBClientEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man: Any, kernel_name: Any, **kwargs: Any) -> Any:
            for key, value in kernel_manager_kwargs().items():
                kwargs.setdefault(key, value)
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

    papermill_engines.register(None, IpcNBClientEngine)


# -- kernels started ahead -----------------------------------------------------------------------

WARM_UP_TIMEOUT_S = 120
RESET_CODE = (
    "get_ipython().reset(new_session=True)\n"
    "__import__('warnings')._filters_mutated()"  # CPython's own hook when filters change
)


IOPUB_CONNECT_S = 0.2
"""How long :func:`wait_until_ready` waits for IOPub's first message before asking again (the
value jupyter_client waits for it)."""


async def wait_until_ready(client: Any, timeout: float | None = None) -> None:
    """``client.wait_for_ready`` without its fixed 0.2 s: the kernel has answered a
    ``kernel_info_request`` on the shell channel and IOPub is connected.

    jupyter_client (8.x) proves IOPub connected by one message received, then drains IOPub until
    it has been silent for 0.2 s: each notebook started and each warm-up or reset paid 0.2 s of
    silence. Here the proof is the ``idle`` status of the request itself, which the kernel sends
    on IOPub after its reply: once it has arrived, IOPub is connected and carries nothing more of
    this request. A subscription too late for it (a socket just connected drops what came
    before) is a new request after 0.2 s, as in jupyter_client. Messages of other requests are
    left for whoever reads next, which nbclient does by request: it skips any other's."""
    deadline = asyncio.get_running_loop().time() + (float("inf") if timeout is None else timeout)

    def left_s() -> float:
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            raise RuntimeError(f"the kernel did not answer kernel_info within {timeout} s")
        return left

    while True:
        asked = client.kernel_info()
        reply = None
        while reply is None:
            try:
                msg = await client.shell_channel.get_msg(timeout=min(1.0, left_s()))
            except queue.Empty:
                if not await client._async_is_alive():  # jupyter_client's own check
                    raise RuntimeError("the kernel died before replying to kernel_info") from None
                break  # asked again: a request sent before the kernel listened can be lost
            if msg["parent_header"].get("msg_id") == asked:
                reply = msg
        if reply is None:
            continue
        while True:
            try:
                msg = await client.iopub_channel.get_msg(timeout=min(IOPUB_CONNECT_S, left_s()))
            except queue.Empty:
                break  # not connected in time for this request's messages: ask again
            if (
                msg["parent_header"].get("msg_id") == asked
                and msg["msg_type"] == "status"
                and msg["content"].get("execution_state") == "idle"
            ):
                client._handle_kernel_info_reply(reply)  # as jupyter_client does on success
                return


class WarmKernel:
    """One kernel started ahead of its notebook, ``modules`` imported in it (silently: no
    execution count, no output, nothing left in the user namespace), so that the notebook's
    cells start at once. Pass :attr:`manager` to ``papermill.execute_notebook(km=...)``: the
    notebook client then uses this kernel and leaves it running; :meth:`reset` readies it for
    another notebook; :meth:`close` shuts it down.

    The kernel's whole life (start, warm-up, reset, shutdown) runs on one event loop of its own
    (the manager's control socket belongs to the loop that created it), one call at a time: the
    runner's threads may reset it while the main thread closes it (Ctrl-C). The clients that
    notebook runs open on it are closed with it: nbclient leaves open those of a kernel it does
    not own (their heartbeat thread and sockets)."""

    def __init__(self, kernel_name: str, cwd: Path, modules: tuple[str, ...]) -> None:
        # jupyter_client is papermill's; this module is imported by every kernel (stages)
        from jupyter_client.manager import AsyncKernelManager

        self._loop = asyncio.new_event_loop()
        self._lock = threading.Lock()
        self.closed = False
        self._clients: list[Any] = []
        self.manager = AsyncKernelManager(kernel_name=kernel_name, **kernel_manager_kwargs())
        make_client = self.manager.client

        def client(**kwargs: Any) -> Any:  # every client made on this kernel, to close them
            made = make_client(**kwargs)
            made.wait_for_ready = functools.partial(wait_until_ready, made)  # type: ignore[method-assign]
            self._clients.append(made)
            return made

        self.manager.client = client  # type: ignore[method-assign]
        try:
            self._run(self._start(cwd, modules))
        except BaseException:
            self.close()
            raise

    def _run(self, step: Any) -> None:
        """Run one coroutine on the kernel's loop, one caller at a time; refused once closed."""
        with self._lock:
            if self.closed:
                step.close()
                raise RuntimeError("this kernel has been shut down")
            self._loop.run_until_complete(step)

    async def _start(self, cwd: Path, modules: tuple[str, ...]) -> None:
        await self.manager.start_kernel(
            cwd=str(cwd), extra_arguments=["--HistoryManager.hist_file=:memory:"]
        )  # the history file nbclient gives the kernels it starts itself
        await self._load(modules)

    async def _load(self, modules: tuple[str, ...]) -> None:
        if modules:
            await self._silent(f"for __m in {list(modules)!r}:\n    __import__(__m)\ndel __m")

    def load(self, modules: tuple[str, ...]) -> None:
        """Import ``modules`` in the kernel, silently (nothing left in its namespace)."""
        self._run(self._load(modules))

    async def _silent(self, code: str) -> None:
        """Run ``code`` in the kernel as a silent request: no execution count, no output. A
        kernel that dies meanwhile is an error within a second, not at the time-out."""
        client = self.manager.client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=WARM_UP_TIMEOUT_S)
            msg_id = client.execute(code, silent=True, store_history=False)
            waited_s = 0.0
            while True:
                try:
                    reply = await client.get_shell_msg(timeout=1.0)
                except queue.Empty:
                    waited_s += 1.0
                    if waited_s >= WARM_UP_TIMEOUT_S or not await self.manager.is_alive():
                        raise RuntimeError(
                            f"{code.splitlines()[0]!r}: the kernel did not answer"
                        ) from None
                    continue
                if reply["parent_header"].get("msg_id") == msg_id:
                    break
            if reply["content"].get("status") != "ok":
                content = reply["content"]
                raise RuntimeError(
                    f"{code.splitlines()[0]!r} failed: {content.get('ename')}: "
                    f"{content.get('evalue')}"
                )
        finally:
            client.stop_channels()
            self._clients.remove(client)

    def reset(self) -> None:
        """Make the kernel a fresh one again for the next notebook, its modules kept loaded: an
        empty namespace, execution counts from 1 (IPython's ``reset(new_session=True)``), and
        Python's warnings shown again (their once-per-place registries made stale). The clients
        the previous notebook's run left open are closed first."""
        self._stop_clients()
        self._run(self._silent(RESET_CODE))

    def _stop_clients(self) -> None:
        for made in self._clients[:]:
            with contextlib.suppress(Exception):
                made.stop_channels()
            self._clients.remove(made)

    def close(self) -> None:
        """Shut the kernel down (idempotent; waits for a reset under way to end)."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
            try:
                self._stop_clients()
                if self.manager.has_kernel:  # shutting down also removes its connection file
                    # at once, as notebook_run.execute_notebook asks of the kernels papermill starts
                    self._loop.run_until_complete(self.manager.shutdown_kernel(now=True))
            finally:
                self._loop.close()


# -- errors as data --------------------------------------------------------------------------------


def structured_errors(stage: Callable[_P, _R]) -> Callable[_P, _R]:
    """Wrap a notebook's entry point: an ``LlmdecideError`` it raises in a kernel is displayed as
    its record first (:data:`ERROR_MIME`), then re-raised unchanged. Outside a kernel (a test, a
    script) nothing is displayed: the caller holds the exception itself."""

    @functools.wraps(stage)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return stage(*args, **kwargs)
        except errors.LlmdecideError as exc:
            display_record(errors.to_record(exc))
            raise

    return run


def display_record(record: dict[str, Any]) -> None:
    """Display ``record`` as a cell output when running in an IPython kernel (an empty
    ``text/plain`` beside it: JupyterLab shows nothing more than the traceback)."""
    if "IPython" not in sys.modules:  # loaded in every kernel: absent, this is not one
        return
    # IPython is loaded already (above): importing its parts here costs nothing
    from IPython import get_ipython
    from IPython.display import display

    if get_ipython() is None:
        return
    with contextlib.suppress(Exception):  # the original error matters more than its record
        display({ERROR_MIME: record, "text/plain": ""}, raw=True)


def error_record(executed: Path) -> dict[str, Any] | None:
    """The error record a failed cell of the executed notebook ``executed`` displayed, if any."""
    import nbformat  # a dependency of papermill, loaded with it by whoever executed the notebook

    try:
        notebook = nbformat.read(str(executed), as_version=4)
    except (OSError, ValueError):
        return None
    for cell in reversed(notebook.cells):
        for output in reversed(cell.get("outputs", [])):
            record = output.get("data", {}).get(ERROR_MIME)
            if isinstance(record, dict):
                return dict(record)
    return None
