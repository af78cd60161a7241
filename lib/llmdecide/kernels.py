"""Where papermill's kernels listen: the IPC transport (Unix sockets), one fresh path per kernel.

Parallel kernels (notebooks 01 and 02 of one client side by side, or the clients of a batch)
then neither clash nor race for TCP ports, and no unencrypted-TCP warning is printed. Used by
``runner`` for every notebook it executes and by ``batch`` for papermill's default engine in its
workers.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

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
    from papermill.engines import NBClientEngine, papermill_engines

    class IpcNBClientEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man: Any, kernel_name: Any, **kwargs: Any) -> Any:
            for key, value in kernel_manager_kwargs().items():
                kwargs.setdefault(key, value)
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

    papermill_engines.register(None, IpcNBClientEngine)
