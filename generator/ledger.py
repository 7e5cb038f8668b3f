"""`cagnotte settle`, `backers`, `reconcile` and `reminders`: the creator's side of the pledge ledger.

Thin: the catalog comes from the site's content (the same one the build
publishes), the store from ``CAGNOTTE_STORE`` (default: the site's own SQLite
file, where `cagnotte serve` keeps its pledges), payments from
``STRIPE_SECRET_KEY`` (none: the local test mode's charges, which always
succeed and charge nobody).

Where this module sits: under the command line (``generator.cli`` calls its
``run_*`` functions, and nothing here imports the CLI) and over
``functions.core``, which decides everything (who is charged, which mails are
queued, what the export holds): these commands only load the site's catalog,
open the store and payments, and print.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from functions.core import export, money, reconcile as recount
from functions.core.catalog import Catalog, CatalogCampaign
from functions.core.settle import NotEnded, Summary, settle
from functions.core.ports import PaymentsError


class LedgerError(click.ClickException):
    """A one-line error for the user (exit 1)."""

    exit_code = 1


def catalog_of(root: Path) -> Catalog:
    from generator.build import load_site, now_from_environment
    from generator.catalog import make_catalog
    from generator.problems import ContentError, report_problems

    try:
        _, _, site, _ = load_site(root, now_from_environment(), 1)
    except ContentError as error:
        report_problems(root, error)
        raise LedgerError("fix the content first (cagnotte check)") from None
    return make_catalog(site)


def campaign_of(catalog: Catalog, slug: str) -> CatalogCampaign:
    campaign = catalog.campaigns.get(slug)
    if campaign is None:
        known = ", ".join(sorted(catalog.campaigns)) or "none"
        raise LedgerError(f"no campaign '{slug}' (campaigns: {known})")
    return campaign


def store_url(root: Path) -> str:
    return os.environ.get("CAGNOTTE_STORE") or f"sqlite:///{(root / '.cagnotte' / 'pledges.sqlite3').resolve()}"


def open_store(root: Path):
    from functions.store import StoreURLError, open_store as open_url

    url = store_url(root)
    try:
        return open_url(url)
    except StoreURLError as error:
        raise LedgerError(str(error)) from None


def payments():
    key = os.environ.get("STRIPE_SECRET_KEY")
    if key:
        from functions.core.errors import Unavailable
        from functions.payments.stripe_budget import SETTLE, budget_from
        from functions.payments.stripe_checkout import StripePayments

        try:  # no Lambda limit here: the settle function's budget, unless CAGNOTTE_STRIPE_BUDGET says
            budget = budget_from(os.environ.get("CAGNOTTE_STRIPE_BUDGET"), SETTLE)
        except Unavailable as error:
            raise LedgerError(error.message) from None
        return StripePayments(key, api_base=os.environ.get("STRIPE_API_BASE") or None, budget=budget)
    from functions.payments.local import LocalCheckout

    click.echo("No STRIPE_SECRET_KEY: local test mode, no card is charged.", err=True)
    return LocalCheckout("http://127.0.0.1", "unused")


def links(root: Path, catalog: Catalog):
    """The links the settlement's mails carry: the scheduled function's own (the same builder, secret and API).

    The secret is ``CAGNOTTE_SECRET`` (or the Parameter Store parameter
    ``CAGNOTTE_SECRET_PARAM`` names), as the functions read it; on a local
    SQLite ledger without one, the site's own ``.cagnotte/secret`` that
    ``cagnotte serve`` signs with. A DynamoDB ledger without the secret is
    refused: mails sent once with dead links could never be sent again.
    """
    from functions.core.errors import Unavailable
    from functions.core.notify import links_for
    from functions.runtime import environment_secrets

    try:
        secret = environment_secrets(os.environ)["CAGNOTTE_SECRET"]
    except Unavailable as error:
        raise LedgerError(error.message) from None
    if secret is None:
        if not store_url(root).startswith("sqlite:"):
            raise LedgerError("CAGNOTTE_SECRET is not set: the backers' mails need the functions' own secret "
                              "for their private links (set it, or CAGNOTTE_SECRET_PARAM)")
        from generator.serve.api import local_secret

        secret = local_secret(root)
    return links_for(catalog, secret)


def run_settle(root: Path, slug: str, workers: int) -> Summary:
    from generator.build import now_from_environment

    catalog = catalog_of(root)
    campaign = campaign_of(catalog, slug)
    mail_links = links(root, catalog)
    store = open_store(root)
    try:
        now = now_from_environment()
        if now < campaign.ends:
            raise LedgerError(f"'{slug}' ends {campaign.ends.isoformat()}: it cannot be settled before")
        ledger = [p for p in store.pledges(slug) if p.status == "pledged"]
        show = sys.stderr.isatty() and len(ledger) > 20
        bar = click.progressbar(length=len(ledger), label="Settling", file=sys.stderr) if show else None
        tally = lambda what, pledge: bar.update(1) if bar and what != "dropped" else None  # noqa: E731
        try:
            summary = settle(campaign, store=store,
                             payments=payments() if campaign.funding == "all_or_nothing" else None,
                             now=now, links=mail_links, workers=workers, progress=tally)
        except NotEnded as error:
            raise LedgerError(str(error)) from None
        except PaymentsError as error:
            raise LedgerError(str(error)) from None
        finally:
            if bar:
                bar.render_finish()
        counters = store.counters(slug)
    finally:
        store.close()
    for line in describe(summary, counters.raised, counters.collected, campaign.currency):
        click.echo(line)
    return summary


def describe(summary: Summary, raised: int, collected: int, currency: str) -> list[str]:
    def m(minor: int) -> str:
        return money.format_plain(minor, currency)

    if summary.outcome == "closed":
        return [f"{summary.campaign}: flexible funding, nothing to charge: {m(collected)} collected. Closed."]
    if summary.outcome == "unfunded":
        lines = [f"{summary.campaign}: goal missed ({m(summary.pledged)} pledged of {m(summary.goal)}): "
                 f"nobody is charged; {summary.cancelled} pledge(s) cancelled now, {summary.already} before."]
    else:
        lines = [f"{summary.campaign}: goal met ({m(summary.pledged)} pledged of {m(summary.goal)}).",
                 f"  charged now: {summary.charged} ({m(summary.charged_amount)}); settled before: {summary.already}",
                 f"  failed: {summary.failed}"
                 + (" (" + ", ".join(f"{code}: {n}" for code, n in sorted(summary.failures.items())) + ")"
                    if summary.failures else "")
                 + "; their backers have 7 days to fix their payment",
                 f"  pledged {m(raised)}, collected {m(collected)}"]
    if summary.dropped:
        lines.append(f"  dropped (not fixed in 7 days): {summary.dropped}")
    if summary.refunded_extra:
        lines.append(f"  refunded automatically (a second payment of a pledge already paid): {summary.refunded_extra}")
    if summary.processing:
        lines.append(f"  processing: {summary.processing} (the bank answers later; Stripe's payment_intent "
                     "webhook events settle them)")
    if summary.retry:
        lines.append(f"  {summary.retry} pledge(s) could not be charged now (Stripe unreachable): run settle again")
    return lines


def run_backers(root: Path, slug: str, fmt: str) -> str:
    catalog = catalog_of(root)
    campaign = campaign_of(catalog, slug)
    store = open_store(root)
    try:
        records = export.rows(campaign, store.pledges(slug), store.surveys(slug) if campaign.survey else None)
    finally:
        store.close()
    return export.to_csv(records, export.columns(campaign)) if fmt == "csv" else export.to_json(records)


def run_lock(root: Path, slug: str) -> str:
    """Lock a campaign's addresses for shipping: the survey page then only shows the answers."""
    from functions.core import survey
    from generator.build import now_from_environment

    catalog = catalog_of(root)
    campaign = campaign_of(catalog, slug)
    if not campaign.survey:
        raise LedgerError(f"'{slug}' has no survey: there are no addresses to lock (add 'survey:' to its index.md)")
    store = open_store(root)
    try:
        now = now_from_environment()
        newly = store.lock_addresses(slug, now)
        locked = store.addresses_locked(slug) or now
        pledges = [p for p in store.pledges(slug) if survey.wanted(p, campaign) and survey.settled(p, campaign, now)]
        answered = {s.pledge_id for s in store.surveys(slug)}
    finally:
        store.close()
    done = sum(1 for p in pledges if p.id in answered)
    when = locked.isoformat(timespec="seconds")
    head = f"addresses of '{slug}' locked for shipping" if newly else \
        f"addresses of '{slug}' were already locked for shipping"
    return (f"{head} (since {when}): {done} of {len(pledges)} settled backer(s) answered the survey; "
            f"`cagnotte backers {slug}` exports their answers and addresses\n")


def run_reconcile(root: Path, slug: str, fix: bool) -> int:
    """Print each drift; 0 when none, 1 when drift was found (and fixed with ``fix``)."""
    catalog = catalog_of(root)
    campaign = campaign_of(catalog, slug)
    store = open_store(root)
    try:
        pledges = store.pledges(slug)
        stored = store.counters(slug)
        ledger, referrals = recount.recount(slug, pledges)
        stored_refs = {r.code: got for r in referrals if (got := store.referral(r.code, slug)) is not None}
        drifts = recount.drift(stored, stored_refs, pledges)
        for d in drifts:
            click.echo(f"{slug}: {d}")
        if not drifts:
            click.echo(f"{slug}: the counters equal the ledger ({len(pledges)} pledges, "
                       f"{money.format_plain(ledger.raised, campaign.currency)} pledged).")
            return 0
        if fix:
            store.reset_counters(slug, ledger, referrals)
            click.echo(f"{slug}: fixed {len(drifts)} drift(s): the counters now equal the ledger.")
        else:
            click.echo(f"{slug}: {len(drifts)} drift(s); run `cagnotte reconcile {slug} --fix` to correct them.")
        return 1
    finally:
        store.close()


def run_reminders(root: Path, slug: str | None, fmt: str, erase: str | None) -> str:
    """Export a campaign's launch-reminder list, or erase one address from every list."""
    import csv
    import io
    import json

    from functions.core.reminders import reminder_id

    catalog = catalog_of(root)
    store = open_store(root)
    try:
        if erase:
            rid = reminder_id(erase)
            gone = [c for c in sorted(catalog.campaigns) if store.delete_reminder(c, rid)]
            return (f"erased from {len(gone)} list(s): {', '.join(gone)}\n" if gone
                    else "that address is on no reminder list\n")
        if slug is None:
            raise LedgerError("name a campaign (cagnotte reminders SLUG) or --erase ADDRESS")
        campaign_of(catalog, slug)
        rows = [{"email": r.email, "status": r.status, "created_at": r.created_at.isoformat(),
                 "confirmed_at": r.confirmed_at.isoformat() if r.confirmed_at else ""}
                for r in store.reminders(slug)]
    finally:
        store.close()
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["email", "status", "created_at", "confirmed_at"], lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def run_updates(root: Path, slug: str) -> str:
    """Each mailed update of a campaign: recipients, sent, waiting, failed, unsubscribed."""
    import datetime as dt

    from functions.core import updates

    catalog = catalog_of(root)
    campaign = campaign_of(catalog, slug)
    store = open_store(root)
    try:
        tallies = updates.tallies(store, campaign, dt.datetime.now(dt.timezone.utc))
    finally:
        store.close()
    if not tallies:
        return f"{slug}: no update to mail (audience: none, or none yet)\n"
    lines = [f"{'update':<40} {'recipients':>10} {'sent':>6} {'waiting':>7} {'failed':>6} {'unsubscribed':>12}"]
    for t in tallies:
        lines.append(f"{t.update:<40} {t.recipients:>10} {t.sent:>6} {t.queued:>7} {t.failed:>6} {t.unsubscribed:>12}")
    return "\n".join(lines) + "\n"


def run_comments(root: Path, slug: str, *, hide: str | None = None, delete: str | None = None,
                 pin: str | None = None, unpin: str | None = None, reply: tuple[str, str] | None = None,
                 name: str | None = None) -> str:
    """List a campaign's comments (every status), or moderate one: hide, delete, pin, unpin, or
    reply as the creator (visible at once, badge "creator")."""
    import dataclasses
    import datetime as dt
    import secrets

    from functions.core import comments

    catalog = catalog_of(root)
    campaign = campaign_of(catalog, slug)
    store = open_store(root)
    try:
        for wanted, act, done in ((hide, store.hide_comment, "hidden"), (delete, store.delete_comment, "deleted"),
                                  (pin, store.pin_comment, "pinned"),
                                  (unpin, lambda c, i: store.pin_comment(c, i, False), "unpinned")):
            if wanted:
                if not act(slug, wanted):
                    raise LedgerError(f"no comment {wanted} of '{slug}' to be {done} (see cagnotte comments {slug})")
                return f"{wanted}: {done}\n"
        if reply:
            parent_id, text = reply
            parent = store.get_comment(slug, parent_id)
            if parent is None or parent.status != comments.VISIBLE:
                raise LedgerError(f"no visible comment {parent_id} of '{slug}' to reply to")
            from functions.core.errors import ApiError

            author = name or creator_name(root, slug, campaign.language) or campaign.title
            try:
                made = comments.new(campaign, {"text": text, "name": author, "lang": parent.lang},
                                    "cm_" + secrets.token_hex(10), dt.datetime.now(dt.timezone.utc),
                                    parent=parent if parent.parent is None else None, by_creator=True)
            except ApiError as error:
                raise LedgerError(error.message) from None
            if parent.parent is not None:  # a reply to a reply joins its conversation
                top = store.get_comment(slug, parent.parent)
                made = dataclasses.replace(made, parent=top.id, parent_key=top.key)
            store.add_comment(made)
            told = ""
            asked = parent if parent.parent is None else top
            if asked.notify:  # the backer asked to be told of the creator's reply
                mail = comments.reply_mail(made, asked, store.get_pledge(asked.notify), made.created_at)
                if mail is not None and store.queue_mail(mail):
                    told = " (its author is told by e-mail at the next scheduled run)"
            return f"{made.id}: replied to {made.parent} as {author}{told}\n"
        found = store.all_comments(slug)
    finally:
        store.close()
    if not found:
        return f"no comments on {slug}\n"
    lines = []
    for c in found:
        badges = " ".join(b for b, on in (("backer", c.backer), ("creator", c.by_creator), ("pinned", c.pinned)) if on)
        indent = "  " if c.parent else ""
        lines.append(f"{indent}{c.id}  {c.status:<7}  {c.created_at:%Y-%m-%d %H:%M}  {c.name}"
                     + (f"  [{badges}]" if badges else ""))
        lines += [f"{indent}    {line}" for line in c.text.splitlines()]
    return "\n".join(lines) + "\n"


def creator_name(root: Path, slug: str, lang: str) -> str | None:
    """The creator's name as the campaign's own page gives it."""
    from generator.build import load_site, now_from_environment

    _, _, site, _ = load_site(root, now_from_environment(), 1)
    found = site.campaigns.get(lang, {}).get(slug)
    return found.creator.name if found else None


def run_charge_shipping(root: Path, slug: str) -> str:
    """Charge the shipping that rewards with ``at_fulfilment`` left for when they ship; once per pledge."""
    from functions.core.settle import charge_shipping
    from generator.build import now_from_environment

    catalog = catalog_of(root)
    campaign = campaign_of(catalog, slug)
    if not any(r.shipping and r.shipping.at_fulfilment for r in campaign.rewards):
        raise LedgerError(f"'{slug}' has no reward whose shipping is charged at fulfilment "
                          "(shipping: {countries: […], cost: …, at_fulfilment: true})")
    store = open_store(root)
    try:
        now = now_from_environment()
        if now < campaign.ends:
            raise LedgerError(f"'{slug}' ends {campaign.ends.isoformat()}: shipping is charged after settlement")
        if campaign.survey and store.addresses_locked(slug) is None:
            raise LedgerError(f"lock the addresses first (cagnotte lock {slug}): backers may still correct them, "
                              "and shipping is charged for the address you ship to")
        summary = charge_shipping(campaign, store=store, payments=payments(), now=now)
    finally:
        store.close()
    from functions.core import money

    lines = [f"{slug}: shipping charged for {summary.charged} pledge(s), "
             f"{money.format_plain(summary.amount, campaign.currency)}; {summary.paid_before} already paid"]
    if summary.failed:
        reasons = ", ".join(f"{code} ×{n}" for code, n in sorted(summary.failures.items()))
        lines.append(f"{summary.failed} refused ({reasons}): ask those backers, then run this again")
    if summary.retry:
        lines.append(f"{summary.retry} without an answer from Stripe: run this again (nothing is charged twice)")
    return "\n".join(lines) + "\n"
