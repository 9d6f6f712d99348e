"""Reading HTML form posts: one helper, so every form handles text and multi-selects alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from litestar import Request
    from litestar.datastructures import FormMultiDict

MAX_FIELD = 10_000


@dataclass(frozen=True, slots=True)
class Form:
    data: FormMultiDict

    def get(self, name: str, default: str = "") -> str:
        value = self.data.get(name, default)
        return value[:MAX_FIELD].strip() if isinstance(value, str) else default

    def getall(self, name: str) -> list[str]:
        return [v.strip() for v in self.data.getall(name, []) if isinstance(v, str) and v.strip()]

    def values(self) -> dict[str, str]:
        """Single values, for re-filling a form after an error (never the password)."""
        return {k: self.get(k) for k in self.data if "password" not in k and not k.startswith("_")}


async def read_form(request: Request) -> Form:
    return Form(await request.form())


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: `next=` must never send someone to another host."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
