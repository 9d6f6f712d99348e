"""Background work for contacts: CSV imports, and dropping uploads nobody imported."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from saq import CronJob

from app.domain.contacts import importer, imports

if TYPE_CHECKING:
    from saq.types import Context


async def import_contacts(ctx: Context, *, import_id: int) -> dict[str, Any]:
    job = ctx.get("job")
    total = await imports.total_rows(import_id)

    async def on_progress(counts: importer.ImportCounts) -> None:
        if job is not None:
            fraction = min(1.0, counts.processed / total) if total else 1.0
            await job.update(progress=fraction, meta={"processed": counts.processed})

    return await importer.run_import(import_id, on_progress=on_progress)


async def purge_stale_contact_uploads(ctx: Context) -> dict[str, int]:
    return {"imports": await imports.purge_stale_uploads()}


FUNCTIONS = [import_contacts, purge_stale_contact_uploads]
CRON_JOBS = [CronJob(purge_stale_contact_uploads, cron="17 3 * * *", timeout=300)]
