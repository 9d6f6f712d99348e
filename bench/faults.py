"""A large faulty sync with a worker killed mid-run: the long profile of the faults test.

Runs tests/integration/faults/test_faulty_sync.py at --contacts (10 % 429 with Retry-After,
2 % 500, 1 % timeouts that hide a success, two worker processes, the first SIGKILLed part-way)
and prints its figures. The test itself asserts the outcome: exact audience, run completed,
no member written after the app knew it succeeded.

    python bench/faults.py --contacts 50000   # Postgres + Redis on loopback
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import ROOT, machine, report

TEST = "tests/integration/faults/test_faulty_sync.py"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=50_000)
    parser.add_argument("--backend", choices=("postgres",), default="postgres")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="listbridge-bench-faults-") as scratch:
        figures_file = Path(scratch) / "figures.json"
        env = {
            **os.environ,
            "LISTBRIDGE_TEST_DB": args.backend,
            "LISTBRIDGE_FAULTS_CONTACTS": str(args.contacts),
            "LISTBRIDGE_FAULTS_REPORT": str(figures_file),
        }
        outcome = subprocess.run(  # noqa: S603 - our own interpreter and test file
            [sys.executable, "-m", "pytest", TEST, "-q", "-p", "no:warnings", "-k", "dies"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if outcome.returncode != 0 or not figures_file.exists():
            print(outcome.stdout[-4000:], outcome.stderr[-2000:], sep="\n")
            sys.exit(f"the faulty sync failed (pytest exit {outcome.returncode})")
        figures = json.loads(figures_file.read_text())
    report({**figures, "database": args.backend, **machine()})


if __name__ == "__main__":
    main()
