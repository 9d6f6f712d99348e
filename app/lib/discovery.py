"""Find what each domain contributes, by convention: a folder per domain, the same files in each.

`app/domain/<name>/controllers.py` and `api.py` export `ROUTES`; `jobs.py` exports `FUNCTIONS`
and `CRON_JOBS`; `tables.py` holds tables (found by piccolo_app.py). A new domain needs no
wiring elsewhere.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import Any

DOMAIN_DIR = Path(__file__).resolve().parent.parent / "domain"


def domain_modules(filename: str) -> list[str]:
    return sorted(
        f"app.domain.{path.parent.name}.{path.stem}" for path in DOMAIN_DIR.glob(f"*/{filename}")
    )


def collect(filename: str, attribute: str) -> list[Any]:
    found: list[Any] = []
    for module in domain_modules(filename):
        found.extend(getattr(import_module(module), attribute, []))
    return found
