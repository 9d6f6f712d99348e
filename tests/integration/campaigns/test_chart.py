"""The campaign page's rate chart and the list's sparklines, with 0, 1 and 100 refreshes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from app.domain.campaigns.chart import LEFT, RIGHT, WIDTH, rate_chart, sparkline, y_scale
from tests.factories import log_in, make_organisation, soup
from tests.integration.campaigns.sandbox_campaigns import add_history, tracking_row


def _points(polyline) -> list[tuple[float, float]]:
    return [tuple(map(float, pair.split(","))) for pair in polyline["points"].split()]


async def _page(client, **row_options):
    owner = await make_organisation()
    row = await tracking_row(owner, **row_options)
    await log_in(client, owner)
    return owner, row


async def test_with_no_history_the_page_says_so_instead_of_drawing(client):
    _, row = await _page(client)

    page = soup(await client.get(f"/campaigns/{row.id}"))

    empty = page.select_one("#campaign-chart")
    assert empty.name == "div"
    assert "No history yet." in empty.get_text()
    assert page.select_one("#campaign-summary svg") is None
    listing = soup(await client.get("/campaigns"))
    assert listing.select_one("tr.campaign-row svg.sparkline") is None
    assert "no history yet" in listing.select_one("tr.campaign-row").get_text()


async def test_one_refresh_is_drawn_as_points_not_a_broken_line(client):
    _, row = await _page(client, title="Autumn offers")
    await add_history(row, 1)

    page = soup(await client.get(f"/campaigns/{row.id}"))

    svg = page.select_one("#campaign-chart svg")
    assert svg["role"] == "img"
    assert svg["aria-labelledby"] == "chart-title chart-desc"
    assert svg.select_one("title").get_text() == "Open and click rate of “Autumn offers” over time"
    assert svg.select_one("desc").get_text().startswith("One refresh, on ")
    assert svg.select("polyline") == []
    assert len(svg.select(".chart-series.series-open circle")) == 1
    assert len(svg.select(".chart-series.series-click rect")) == 1
    # alone in time, the point sits in the middle of the plot
    assert (
        float(svg.select_one(".chart-series.series-open circle")["cx"])
        == (LEFT + WIDTH - RIGHT) / 2
    )
    assert len(page.select(".history-table tbody tr")) == 1
    spark = soup(await client.get("/campaigns")).select_one("svg.sparkline")
    assert spark["aria-label"] == "Open rate at its only refresh: 0.0 %"
    assert spark.select("polyline") == []
    assert len(spark.select("circle")) == 1


async def test_a_hundred_refreshes_draw_two_lines_with_axes_legend_and_a_table(client):
    _, row = await _page(client)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    await add_history(row, 100, start=start, every=timedelta(hours=6))

    page = soup(await client.get(f"/campaigns/{row.id}"))

    svg = page.select_one("#campaign-chart svg")
    opens = _points(svg.select_one(".series-open polyline"))
    clicks = _points(svg.select_one(".series-click polyline"))
    assert len(opens) == len(clicks) == 100
    assert [x for x, _ in opens] == sorted(x for x, _ in opens)  # time runs left to right
    assert opens[-1][1] < opens[0][1]  # a rising rate climbs the chart
    assert svg.select(".chart-series circle, .chart-series rect") == []  # lines only
    assert [t.get_text() for t in svg.select(".chart-legend text")] == ["Open rate", "Click rate"]
    assert [t.get_text() for t in svg.select(".axis-title")] == ["Rate (%)", "Time (UTC)"]
    y_labels = [t.get_text() for t in svg.select(".chart-grid text")]
    assert y_labels == ["0 %", "5 %", "10 %", "15 %", "20 %"]  # highest rate: 19.8 %
    x_labels = [t.get_text() for t in svg.select(".chart-x-axis text")]
    assert (x_labels[0], x_labels[-1]) == ("1 Nov", "25 Nov")
    assert svg.select_one("desc").get_text() == (
        "100 refreshes from 1 Nov 2026, 00:00 to 25 Nov 2026, 18:00 UTC. Open rate went from "
        "0.0 % to 19.8 %; click rate from 0.0 % to 5.0 %."
    )
    rows = page.select(".history-table tbody tr")
    assert len(rows) == 100
    assert rows[0].select("td")[4].get_text() == "19.8 %"  # newest first
    spark = soup(await client.get("/campaigns")).select_one("svg.sparkline")
    assert len(_points(spark.select_one("polyline"))) == 30
    assert "last 30 refreshes" in spark["aria-label"]


async def test_text_in_the_chart_is_escaped(client):
    _, row = await _page(client, title='<script>alert("x")</script> & friends')
    await add_history(row, 3)

    response = await client.get(f"/campaigns/{row.id}")

    page = soup(response)
    assert page.select("script:not([src])") == []
    title = page.select_one("#campaign-chart svg title").get_text()
    assert title == 'Open and click rate of “<script>alert("x")</script> & friends” over time'
    assert "&lt;script&gt;" in response.text


@dataclass
class Reading:
    taken_at: datetime
    open_rate: float
    click_rate: float


def test_the_rate_axis_rounds_up_to_a_readable_top_with_at_most_five_steps():
    assert y_scale(0.0) == pytest.approx((0.1, 0.02))
    assert y_scale(0.198) == pytest.approx((0.2, 0.05))
    assert y_scale(0.3) == pytest.approx((0.3, 0.1))
    assert y_scale(0.45) == pytest.approx((0.5, 0.1))
    assert y_scale(1.0) == pytest.approx((1.0, 0.2))


def test_readings_at_the_same_moment_stack_in_the_middle_instead_of_dividing_by_zero():
    moment = datetime(2026, 6, 3, 9, tzinfo=UTC)
    chart = rate_chart([Reading(moment, 0.1, 0.01), Reading(moment, 0.2, 0.02)])

    assert chart is not None
    assert {p.x for p in chart.series[0].points} == {(LEFT + WIDTH - RIGHT) / 2}
    assert [t.label for t in chart.x_ticks] == ["3 Jun 09:00"]


def test_no_readings_means_no_chart_and_no_sparkline():
    assert rate_chart([]) is None
    assert sparkline([]) is None
