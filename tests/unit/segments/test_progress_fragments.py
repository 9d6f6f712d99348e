"""Progress events reach every open tab as the status partial, rendered once per event."""

from __future__ import annotations

import json

from bs4 import BeautifulSoup

from app.domain.segments.sync_controllers import status_fragment
from app.lib.templating import template_config


def _event(created: int) -> bytes:
    return json.dumps(
        {
            "run_id": 7,
            "segment_id": 3,
            "status": "running",
            "mode": "full",
            "trigger": "manual",
            "error": "",
            "expected": 2000,
            "phase": "sending",
            "started_at": "2030-01-01T00:00:00+00:00",
            "finished_at": None,
            "selected": 2000,
            "created": created,
            "updated": 0,
            "unchanged": 0,
            "removed": 0,
            "invalid": 0,
            "rejected": 0,
        }
    ).encode()


def test_five_hundred_tabs_on_one_event_cost_one_rendering(monkeypatch):
    engine = template_config().instance
    rendered = []
    real = engine.get_template
    monkeypatch.setattr(engine, "get_template", lambda name: rendered.append(name) or real(name))

    pages = {
        status_fragment(engine, "segments/_status.html", _event(1500), "syncing")
        for _ in range(500)
    }

    assert rendered == ["segments/_status.html"]
    ((segment_id, html),) = pages
    assert segment_id == 3
    counts = {
        dt.get_text(strip=True): dt.find_next("dd").get_text(strip=True)
        for dt in BeautifulSoup(html, "html.parser").select("dl.run-counts dt")
    }
    assert counts["added"] == "1,500"


def test_each_new_event_is_rendered_with_its_own_figures():
    engine = template_config().instance

    first = status_fragment(engine, "segments/_row_status.html", _event(10), "")[1]
    second = status_fragment(engine, "segments/_row_status.html", _event(20), "")[1]

    bars = [BeautifulSoup(html, "html.parser").select_one("progress") for html in (first, second)]
    assert [bar["value"] for bar in bars] == ["10", "20"]
