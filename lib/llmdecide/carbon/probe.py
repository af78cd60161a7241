"""The carbon probe: a client command run under codecarbon's tracker, with a timeout.

``run_probe(...)`` runs the command (no shell unless asked, in its own process group, killed on
timeout) inside ``tracking.track`` and gives its energy and emissions, in total and per request.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from llmdecide.carbon.tracking import TrackerRun, track
from llmdecide.errors import MeasurementError


@dataclass(frozen=True)
class ProbeResult:
    """Energy and emissions of one probe command, in total and per request when known."""

    command: str
    exit_code: int
    requests: int | None
    duration_s: float
    energy_kwh: float
    emissions_kgco2e: float
    kwh_per_request: float | None
    wh_per_request: float | None
    kgco2e_per_request: float | None
    gco2e_per_request: float | None
    stdout_path: str
    stderr_path: str
    measurement: TrackerRun

    @property
    def emissions_kg(self) -> float:
        return self.emissions_kgco2e

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "measurement"}
        out["measurement"] = self.measurement.as_dict()
        return out


def _probe_argv(
    command: str | Sequence[str], shell: bool, file: str, key_path: str
) -> tuple[str | list[str], str]:
    if isinstance(command, str):
        if not command.strip():
            raise MeasurementError.single(file, key_path, "the probe command is empty")
        if shell:
            return command, command
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            raise MeasurementError.single(
                file,
                key_path,
                f"cannot split {command!r} into arguments ({exc}); give the command as a list "
                "of arguments, or set shell: true to run it through the shell",
            ) from None
        return argv, command
    argv = [str(a) for a in command]
    if not argv or not argv[0]:
        raise MeasurementError.single(file, key_path, "the probe command is empty")
    if shell:
        raise MeasurementError.single(
            file,
            key_path,
            "shell: true applies to a command given as one string; give the command as a string "
            "or remove shell: true",
        )
    return argv, shlex.join(argv)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()[-lines:]
    except OSError:
        return ""
    return ("\n" + "\n".join("    " + t for t in text)) if text else ""


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """Kill the probe and everything it started (it runs in its own process group)."""
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # pragma: no cover - not POSIX
            proc.kill()
    with contextlib.suppress(Exception):
        proc.wait(timeout=10)


def run_probe(
    command: str | list[str],
    timeout_s: float,
    country_iso3: str,
    output_dir: Path,
    requests: int | None,
    shell: bool = False,
    *,
    project_name: str = "llmdecide-probe",
    tracking_mode: str = "machine",
    measure_power_secs: float = 1.0,
    cwd: Path | None = None,
    file_for_errors: str = "params",
    key_path: str = "carbon.probe",
) -> ProbeResult:
    """Run a client command under codecarbon's tracker, with a timeout; energy per request.

    * A list is run as is, without a shell. A string is split like a shell would (``shlex``) and
      run without a shell, unless ``shell=True``: then it goes through ``/bin/sh`` (pipes,
      variables, globbing) — only for a string, never for a list.
    * The command runs in its own process group; on timeout the whole group is killed.
    * Its output goes to ``output_dir/probe.stdout.txt`` and ``probe.stderr.txt``.
    * ``tracking_mode="machine"`` by default: the probe's energy is the machine's while it runs
      (a child that exits between two 1-second samples would be lost by process mode, and a local
      server under test is not our child). Run it on an otherwise quiet machine.
    * A non-zero exit, a timeout or a command that cannot start raises ``MeasurementError``.
    """
    argv, shown = _probe_argv(command, shell, file_for_errors, f"{key_path}.command")
    if requests is not None and (isinstance(requests, bool) or int(requests) <= 0):
        raise MeasurementError.single(
            file_for_errors, f"{key_path}.requests", f"expected a count > 0, got {requests!r}"
        )
    if not (timeout_s > 0):
        raise MeasurementError.single(
            file_for_errors, f"{key_path}.timeout_s", f"expected seconds > 0, got {timeout_s!r}"
        )
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    stdout_path = output_dir / "probe.stdout.txt"
    stderr_path = output_dir / "probe.stderr.txt"
    with (
        track(
            country_iso3,
            output_dir,
            project_name,
            tracking_mode=tracking_mode,
            measure_power_secs=measure_power_secs,
        ) as run,
        open(stdout_path, "wb") as out,
        open(stderr_path, "wb") as err,
    ):
        exit_code, failure = _start_and_wait(
            argv, shell, shown, cwd, timeout_s, f"{key_path}.timeout_s", out, err
        )
    if failure is None and exit_code != 0:
        failure = (
            f"{shown!r} failed with exit status {exit_code}"
            + (" (command not found by the shell)" if shell and exit_code == 127 else "")
            + f"; fix the command (its error output is in {stderr_path}){_tail(stderr_path)}"
        )
    if failure is not None:
        raise MeasurementError.single(file_for_errors, f"{key_path}.command", failure)
    return _probe_result(shown, exit_code, requests, run, stdout_path, stderr_path)


def _start_and_wait(
    argv: str | list[str],
    shell: bool,
    shown: str,
    cwd: Path | None,
    timeout_s: float,
    timeout_key: str,
    out: BinaryIO,
    err: BinaryIO,
) -> tuple[int, str | None]:
    """Run the probe in its own process group; its exit status (-1 when it did not exit by
    itself) and why it failed to start or finish in time (``None`` when it did)."""
    try:
        proc = subprocess.Popen(
            argv,
            shell=shell,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            cwd=cwd,
            start_new_session=True,
        )
    except FileNotFoundError:
        return -1, (
            f"command not found: {shown!r}"
            + (f" (cwd {cwd})" if cwd else "")
            + "; check the program name and that it is on PATH, or give its full path"
        )
    except PermissionError:
        return -1, f"{shown!r} cannot be executed (permission denied); check the program's mode"
    except OSError as exc:
        return -1, f"{shown!r} could not start ({exc.strerror or exc})"
    try:
        return proc.wait(timeout=timeout_s), None
    except subprocess.TimeoutExpired:
        _kill(proc)
        return -1, (
            f"{shown!r} did not finish within {timeout_s:g} s and was stopped; raise "
            f"{timeout_key} or make the probe shorter (fewer requests)"
        )
    except BaseException:
        _kill(proc)
        raise


def _probe_result(
    shown: str,
    exit_code: int,
    requests: int | None,
    run: TrackerRun,
    stdout_path: Path,
    stderr_path: Path,
) -> ProbeResult:
    """The probe's totals from its tracker run, and per request when the count is known."""

    def per(value: float, scale: float = 1.0) -> float | None:
        return value * scale / requests if requests else None

    return ProbeResult(
        command=shown,
        exit_code=exit_code,
        requests=int(requests) if requests else None,
        duration_s=run.duration_s,
        energy_kwh=run.energy_kwh,
        emissions_kgco2e=run.emissions_kg,
        kwh_per_request=per(run.energy_kwh),
        wh_per_request=per(run.energy_kwh, 1000.0),
        kgco2e_per_request=per(run.emissions_kg),
        gco2e_per_request=per(run.emissions_kg, 1000.0),
        stdout_path=str(stdout_path),
        stderr_path=str(stderr_path),
        measurement=run,
    )
