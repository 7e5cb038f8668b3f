"""Live figures read as the build wrote the page, without a single Intl formatter.

js/format.js writes numbers, money and short dates from <body data-formats>,
which the build reads from Babel's CLDR data; the first Intl number or date
formatter costs a phone 20-30 ms of main thread, the largest single task of
the campaign page (see benchmarks/lighthouse.py).
"""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from generator.render.formats import Formatters

# Counts the Intl formatters a page makes (the page's own scripts run after this).
COUNT_INTL = """(() => {
  window.__intl = [];
  for (const name of ["NumberFormat", "DateTimeFormat"]) {
    const Real = Intl[name];
    const Counted = function (...args) { window.__intl.push(name); return new Real(...args); };
    Counted.prototype = Real.prototype;
    Counted.supportedLocalesOf = Real.supportedLocalesOf;
    Intl[name] = Counted;
  }
})();"""


@pytest.mark.parametrize("lang,prefix", [("fr", ""), ("en", "/en")])
def test_live_figures_follow_the_build_and_make_no_intl_formatter(new_context, lang: str, prefix: str):
    context = new_context()
    context.add_init_script(COUNT_INTL)
    page = context.new_page()
    stats = page.request.get("/api/campaigns/premier-album/stats", headers={"Cache-Control": "no-cache"}).json()
    page.goto(f"{prefix}/campaigns/premier-album/")
    build = Formatters(lang, "Europe/Paris", dt.datetime(2026, 11, 26, 12, tzinfo=dt.timezone.utc))
    expect(page.locator('[data-stat="raised"]').first).to_have_text(build.money(stats["raised"], "EUR"))
    got = page.evaluate("""() => [Cagnotte.money(850050, "EUR"), Cagnotte.money(800000, "EUR"), Cagnotte.money(5, "EUR"),
                                  Cagnotte.integer(1234567), Cagnotte.dayMonth("2026-12-15"), Cagnotte.dayMonth("2027-03-01")]""")
    from babel.numbers import format_decimal

    assert got == [build.money(850050, "EUR"), build.money(800000, "EUR"), build.money(5, "EUR"),
                   format_decimal(1234567, locale=lang), build.day_month(dt.date(2026, 12, 15)),
                   build.day_month(dt.date(2027, 3, 1))]
    assert got[0] == ("8\u202f500,50\u00a0€" if lang == "fr" else "€8,500.50")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__intl") == []
    context.close()
