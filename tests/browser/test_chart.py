"""The public funding chart draws a trend only when it means something, and never says how a campaign ends."""

from __future__ import annotations

from playwright.sync_api import Page, expect

DAY = 86_400_000
START = 1_764_547_200_000  # 2025-12-01T00:00Z; the figures are what the script is given, not the clock

# trend(points, start, now, ends, raised, currency) for a campaign of 30 days raising `daily` each day.
TREND = """([days, daily, jitter]) => {
  const DAY = %d, start = %d, ends = start + 30 * DAY, now = start + days * DAY;
  const points = [[start, 0]];
  let total = 0;
  for (let d = 1; d <= days; d++) { total += daily + (d %% 2 ? jitter : -jitter); points.push([start + d * DAY, total]); }
  return Cagnotte.chart.trend(points, start, now, ends, total, "EUR");
}""" % (DAY, START)


def test_the_trend_is_drawn_only_after_a_week_and_when_its_range_is_narrow(page: Page):
    page.goto("/en/campaigns/premier-album/")
    page.wait_for_function("() => window.Cagnotte && Cagnotte.chart && Cagnotte.chart.trend")
    assert page.evaluate(TREND, [3, 10_000, 0]) is None  # three days: too early to say
    assert page.evaluate(TREND, [6, 10_000, 2_000]) is None
    steady = page.evaluate(TREND, [10, 10_000, 2_000])
    assert steady and steady["low"] <= steady["expected"] <= steady["high"]
    assert 280_000 <= steady["expected"] <= 320_000  # 10 days of 100 € and 20 more at that pace
    assert page.evaluate(TREND, [10, 10_000, 9_500]) is None  # days from 5 € to 195 €: the range says nothing
    # the sentence under the chart says what was raised, never what it "would reach"
    summary = page.locator("[data-chart-summary]")
    expect(summary).not_to_be_empty()
    assert "would reach" not in summary.inner_text() and "between" not in summary.inner_text()
