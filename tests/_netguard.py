"""Network guard for tests/test_offline.py, installed as ``sitecustomize.py``.

test_offline copies this file as ``sitecustomize.py`` into a folder it puts first on ``PYTHONPATH``,
so every Python process of a run (the CLI, papermill's Jupyter kernels, any helper) imports it at
start-up. When ``$LLMDECIDE_NETGUARD_LOG`` names a file (``<file>.procs`` lists the guarded
processes), each attempt to reach an address that is
neither loopback nor a Unix socket (connect, connect_ex, sendto, and name lookups of other hosts) is
appended to that file as one line and fails with "Network is unreachable", as it would offline.
Loopback and Unix sockets stay allowed: Jupyter kernels talk to papermill over them.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket

LOG_ENV = "LLMDECIDE_NETGUARD_LOG"
LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", ""}


def _is_local_host(host: object) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    text = str(host).strip("[]").split("%")[0].lower()
    if text in LOCAL_NAMES:
        return True
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _is_address(host: object) -> bool:
    text = host.decode(errors="replace") if isinstance(host, bytes) else str(host)
    try:
        ipaddress.ip_address(text.strip("[]").split("%")[0])
    except ValueError:
        return False
    return True


def _allowed(family: int, address: object) -> bool:
    if family == getattr(socket, "AF_UNIX", object()) or family == getattr(
        socket, "AF_NETLINK", -1
    ):
        return True
    if isinstance(address, tuple) and address:
        return _is_local_host(address[0])
    return False


def _refuse(what: str) -> OSError:
    with open(os.environ[LOG_ENV], "a", encoding="utf-8") as log:
        log.write(f"{os.getpid()} {what}\n")
    return OSError(errno.ENETUNREACH, f"network disabled by tests/_netguard.py: {what}")


def install() -> None:
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex
    original_sendto = socket.socket.sendto
    original_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: object) -> None:
        if not _allowed(self.family, address):
            raise _refuse(f"connect {address!r}")
        return original_connect(self, address)

    def connect_ex(self: socket.socket, address: object) -> int:
        if not _allowed(self.family, address):
            _refuse(f"connect_ex {address!r}")
            return errno.ENETUNREACH
        return original_connect_ex(self, address)

    def sendto(self: socket.socket, data: bytes, *args: object) -> int:
        address = args[-1]
        if not _allowed(self.family, address):
            raise _refuse(f"sendto {address!r}")
        return original_sendto(self, data, *args)  # type: ignore[arg-type]

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> list:
        if not _is_local_host(host) and not _is_address(host):  # an address: connect decides
            raise socket.gaierror(socket.EAI_NONAME, str(_refuse(f"getaddrinfo {host!r}")))
        return original_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.socket.sendto = sendto  # type: ignore[method-assign, assignment]
    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]


if os.environ.get(LOG_ENV):
    install()
    # which processes are guarded (the test checks that the Jupyter kernels are)
    try:
        with open("/proc/self/cmdline", "rb") as cmdline:
            command = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        import sys

        command = " ".join(sys.argv)
    with open(os.environ[LOG_ENV] + ".procs", "a", encoding="utf-8") as procs:
        procs.write(f"{os.getpid()} {command[:300]}\n")
