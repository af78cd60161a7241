"""Peak resident memory of one full run of the example client (target ≤ 1 GiB).

The run is a child process (``llmdecide run``); its kernels are its children. After it exits,
``getrusage(RUSAGE_CHILDREN).ru_maxrss`` is the peak RSS of the largest process among them
(Linux reports kibibytes). Run: .venv/bin/python bench/peak_rss.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLIENT = REPO / "params" / "clients" / "example-retail.yaml"
TARGET_MIB = 1024.0


def main() -> dict[str, object]:
    # A wrapper process runs the command and reports the peak of *its* children only: this
    # process may have run other benches whose children would count in its own RUSAGE_CHILDREN.
    with tempfile.TemporaryDirectory(prefix="llmdecide-rss-") as tmp:
        cli = Path(sys.executable).with_name("llmdecide")
        command = [str(cli), "run", str(CLIENT), "--reports-dir", str(Path(tmp) / "reports")]
        wrapper = (
            "import resource, subprocess, sys; "
            "subprocess.run(sys.argv[1:], check=True, capture_output=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
        )
        out = subprocess.run(
            [sys.executable, "-c", wrapper, *command],
            check=True,
            capture_output=True,
            text=True,
            cwd=REPO,
        )
    peak_mib = int(out.stdout.strip().splitlines()[-1]) / 1024
    ok = peak_mib <= TARGET_MIB
    line = f"peak RSS of a run: {peak_mib:.0f} MiB (target <= {TARGET_MIB:.0f} MiB) {'OK' if ok else 'MISSED'}"
    print(line)
    return {
        "name": "peak_rss",
        "value": peak_mib,
        "unit": "MiB",
        "target": TARGET_MIB,
        "ok": ok,
        "line": line,
    }


if __name__ == "__main__":
    sys.exit(0 if main()["ok"] else 1)
