"""CSV import at scale: time and memory of receiving and importing a 100,000-row file.

Imports a file of N/10 rows, then one of N rows, in one process, and prints the peak memory
after each: if the import held the file (or its rows) in memory, the second peak would grow by
roughly the file's size. The upload is received as the web process receives it, then the
import job's own function runs in this process (no worker needed).

    python bench/import_memory.py [--contacts 100000] [--database-url postgresql://…]
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from harness import Stopwatch, arguments, machine, peak_rss_mb, prepare_environment, report
from scenario import seed_organisation

NOTE = "Joined from the Lisbon office; prefers email; badge 0000; parking level B2"


def _write_csv(path: Path, rows: int, start: int) -> int:
    with path.open("w", encoding="utf-8") as out:
        out.write("Employee ID,Email,First name,Last name,Department,Office,Notes\n")
        for n in range(start, start + rows):
            out.write(f"E{n},person{n}@northwind.co,First{n},Last{n},Sales,Lisbon,{NOTE} {n}\n")
    return path.stat().st_size


async def _import(principal, path: Path) -> dict:
    from app.domain.contacts import importer, imports
    from app.domain.contacts.tables import ContactImport, ImportStatus

    async def ignore_progress(_counts) -> None:
        return None

    with Stopwatch() as received, path.open("rb") as file:
        import_id = await imports.receive(principal, imports.Upload(path.name, file))
    # What `imports.start` does, without queueing a job for a worker this bench does not run.
    await ContactImport.update({ContactImport.status: ImportStatus.queued}).where(
        ContactImport.id == import_id
    )
    with Stopwatch() as imported:
        result = await importer.run_import(import_id, on_progress=ignore_progress)
    assert result["status"] == "completed", result
    return {"receive_s": round(received.seconds, 1), "import_s": round(imported.seconds, 1)}


async def main() -> None:
    args = arguments(__doc__.splitlines()[0]).parse_args()
    prepare_environment(args.database_url, "http://127.0.0.1:9")  # Mailchimp is not called
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from app.db import close_database, open_database
    from app.settings import get_settings

    assert (await run_forwards("all")).success
    await open_database(get_settings())
    figures: dict = {"machine": machine(), "rows": args.contacts}
    try:
        principal, _ = await seed_organisation(0)
        with tempfile.TemporaryDirectory() as folder:
            small, large = Path(folder, "small.csv"), Path(folder, "large.csv")
            small_bytes = _write_csv(small, args.contacts // 10, 0)
            large_bytes = _write_csv(large, args.contacts, args.contacts)
            figures["rss_before_mb"] = peak_rss_mb()
            figures["small_file_mb"] = round(small_bytes / 2**20, 1)
            figures["small"] = await _import(principal, small)
            figures["peak_after_small_mb"] = peak_rss_mb()
            figures["large_file_mb"] = round(large_bytes / 2**20, 1)
            figures["large"] = await _import(principal, large)
            figures["peak_after_large_mb"] = peak_rss_mb()
    finally:
        await close_database()
    figures["peak_growth_for_10x_rows_mb"] = round(
        figures["peak_after_large_mb"] - figures["peak_after_small_mb"], 1
    )
    report(figures)


if __name__ == "__main__":
    asyncio.run(main())
