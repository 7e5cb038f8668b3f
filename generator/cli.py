"""The `cagnotte` command line: a thin layer over the library."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from generator.problems import ContentError, Warned, report_problems, report_warnings, shown_path


# Set by the commands that leave a large heap behind (build, check): see entry().
_quick_exit = False


def entry() -> None:
    """The ``cagnotte`` console script: :func:`main`, then, after ``build`` or ``check``, a quick exit.

    A build of 1,000 campaigns leaves about a million objects behind; the
    interpreter frees them one by one on its way out, which took 0.1–0.2 s of
    the command's time after the work was done. Everything is written and
    closed by then, so the process just ends (as Instagram's services do).
    """
    try:
        main(prog_name="cagnotte")
    except SystemExit as leaving:
        if not _quick_exit:
            raise
        code = leaving.code
        if isinstance(code, str):  # what sys.exit("message") would have printed
            print(code, file=sys.stderr)
        exit_now(code if isinstance(code, int) else (0 if code is None else 1))


def exit_now(code: int) -> None:
    """End the process without tearing down the heap (files flushed first)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (cagnotte build | head): nothing more to say
            code = code or 1
    os._exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--site", "site", type=click.Path(file_okay=False, path_type=Path), default=".",
              show_default=True, help="The folder that holds site.yml.")
@click.version_option(package_name="cagnotte")
@click.pass_context
def main(ctx: click.Context, site: Path) -> None:
    """Cagnotte: crowdfunding campaigns as Markdown, built into a fast static site."""
    ctx.obj = site.resolve()


_STRICT = click.option("--strict", is_flag=True, help="Exit 1 when there are warnings, as for problems.")


@main.command()
@_STRICT
@click.pass_obj
def check(root: Path, strict: bool) -> None:
    """Validate site.yml and every campaign; print each problem as path:line: message.

    Warnings (path:line: warning: message) do not fail the check, unless --strict.
    """
    from generator.build import load_site, make_images, now_from_environment
    from generator.content.lint import site_warnings
    from generator.output.state import State

    global _quick_exit
    _quick_exit = True
    state = None
    try:
        from generator.config import load_config

        config = load_config(root)
        state = State(root, root / config.output)
        jobs = os.cpu_count() or 1
        # preview: drafts are checked too (they are what a creator is working on)
        _, theme, site, _ = load_site(root, now_from_environment(), jobs, state, preview=True)
        make_images(root, theme, site, jobs, encode=False)  # every image the pages show can be read
    except ContentError as error:
        report_problems(root, error)
        sys.exit(1)
    finally:
        if state is not None:
            state.close()
    warnings = site_warnings(site)
    report_warnings(root, warnings, strict)
    if strict and warnings:
        sys.exit(1)
    campaigns = len(site.entries)
    langs = ", ".join(site.config.languages)
    pages = len(site.pages.by_lang[site.config.language]) if site.pages else 0
    shown = f", {pages} page{'s' if pages != 1 else ''}" if pages else ""
    click.echo(f"ok: {campaigns} campaign{'s' if campaigns != 1 else ''}{shown}, "
               f"language{'s' if len(site.config.languages) != 1 else ''} {langs}")


@main.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: site.yml's output, _site).")
@click.option("--clean", is_flag=True, help="Render every page again, ignoring the previous build.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: the machine's cores).")
@_STRICT
@click.pass_obj
def build(root: Path, out: Path | None, clean: bool, jobs: int | None, strict: bool) -> None:
    """Render the site (incremental; the output is replaced in one step).

    Warnings are printed and the site is built, unless --strict (then nothing is written).
    """
    from generator.build import build as run

    global _quick_exit
    _quick_exit = True
    try:
        report = run(root, out, jobs=jobs, clean=clean, progress=sys.stderr.isatty(), strict=strict)
    except ContentError as error:
        report_problems(root, error)
        sys.exit(1)
    except Warned as warned:
        report_warnings(root, warned.warnings, strict=True)
        click.echo("Nothing was written.", err=True)
        sys.exit(1)
    except OSError as error:
        raise click.ClickException(f"could not write the site: {error.strerror or error}: {error.filename or ''}".rstrip(": "))
    report_warnings(root, report.warnings)
    where = shown_path(Path.cwd(), str(report.out))
    if not report.changed:
        click.echo(f"{where}: up to date ({report.pages} pages) in {report.seconds:.2f}s")
    else:
        copied = report.total - report.rendered - report.reused
        click.echo(f"{where}: {report.pages} pages, {report.rendered} rendered, {copied} copied, "
                   f"{report.removed} removed in {report.seconds:.2f}s")


@main.group()
def new() -> None:
    """Start a site, or a campaign in this one."""


def _today(tz_name: str):
    """Today (a date) where the site is; SOURCE_DATE_EPOCH, when set, is now: reproducible scaffolds."""
    from zoneinfo import ZoneInfo

    from generator.build import now_from_environment

    return now_from_environment().astimezone(ZoneInfo(tz_name)).date()


@new.command("site")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--language", default="en", show_default=True, help="The site's default language (fr, en, pt-BR…).")
@click.option("--currency", default="EUR", show_default=True, help="The campaigns' default ISO 4217 currency.")
@click.option("--timezone", default=None, help="IANA time zone of the dates (default: one for the language).")
@click.option("--title", default=None, help="The site's name (default: a placeholder in its language).")
def new_site(folder: Path, language: str, currency: str, timezone: str | None, title: str | None) -> None:
    """Create a site in FOLDER: site.yml, a first campaign, .gitignore, the publish workflow, a README."""
    from generator.scaffold import TIMEZONES, ScaffoldError, new_site as make

    zone = timezone or TIMEZONES.get(language.split("-")[0].split("_")[0].lower(), "UTC")
    try:
        today = _today(zone)
    except (LookupError, ValueError):  # an unknown zone (ZoneInfoNotFoundError is a KeyError): make() says so
        today = None
    try:
        written = make(folder, language=language, currency=currency, timezone=timezone, title=title, today=today)
    except ScaffoldError as error:
        raise click.ClickException(str(error))
    for path in written:
        click.echo(f"created {shown_path(Path.cwd(), str(path))}")
    where = shown_path(Path.cwd(), str(folder))
    click.echo(f"\nNext: cd {where} && cagnotte serve   (then open http://127.0.0.1:8000)")


@new.command("campaign")
@click.argument("slug")
@click.pass_obj
def new_campaign(root: Path, slug: str) -> None:
    """Scaffold content/campaigns/SLUG/index.md with every field, commented, live from today."""
    from generator.config import load_config
    from generator.scaffold import ScaffoldError, scaffold

    try:
        today = _today(load_config(root).timezone)
    except ContentError as error:
        report_problems(root, error)
        sys.exit(1)
    try:
        path = scaffold(root, slug, today=today)
    except ScaffoldError as error:
        raise click.ClickException(str(error))
    click.echo(f"created {shown_path(root, str(path.relative_to(root)))}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.pass_obj
def serve(root: Path, host: str, port: int) -> None:
    """Build, serve the site on HOST:PORT and rebuild when content, themes or site.yml change."""
    from generator.serve import PortInUse
    from generator.serve import serve as run

    try:
        run(root, host, port)
    except PortInUse as error:
        raise click.ClickException(str(error)) from None



@main.command()
@click.argument("slug")
@click.option("--workers", default=4, show_default=True, type=click.IntRange(1, 20),
              help="Charges in flight at once (Stripe's rate limit).")
@click.pass_obj
def settle(root: Path, slug: str, workers: int) -> None:
    """Settle an ended campaign: charge every saved card once if the goal is met, or nobody."""
    from functions.core.errors import Unavailable
    from generator.ledger import run_settle

    try:
        summary = run_settle(root, slug, workers)
    except Unavailable as error:  # a locked or unreachable store: what is done stays done
        raise click.ClickException(f"{error.message}: settle stopped; run it again to resume") from None
    sys.exit(0 if summary.complete else 1)


@main.command()
@click.argument("slug")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.pass_obj
def backers(root: Path, slug: str, fmt: str) -> None:
    """The fulfilment export: every pledge with its reward, status, backer and shipping address."""
    from generator.ledger import run_backers

    click.echo(run_backers(root, slug, fmt), nl=False)


@main.command("charge-shipping")
@click.argument("slug")
@click.pass_obj
def charge_shipping(root: Path, slug: str) -> None:
    """Charge the shipping left for fulfilment (rewards with at_fulfilment) on each backer's saved card, once."""
    from generator.ledger import run_charge_shipping

    click.echo(run_charge_shipping(root, slug), nl=False)


@main.command()
@click.argument("slug")
@click.pass_obj
def lock(root: Path, slug: str) -> None:
    """Lock a campaign's addresses for shipping: its survey takes no more answers or corrections."""
    from generator.ledger import run_lock

    click.echo(run_lock(root, slug), nl=False)


@main.command()
@click.argument("slug")
@click.option("--fix", is_flag=True, help="Write the counters recomputed from the ledger.")
@click.pass_obj
def reconcile(root: Path, slug: str, fix: bool) -> None:
    """Recompute the counters from the pledge ledger and report (or fix) every drift."""
    from generator.ledger import run_reconcile

    sys.exit(run_reconcile(root, slug, fix))


@main.command()
@click.argument("slug", required=False)
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--erase", metavar="ADDRESS", help="Remove this e-mail address from every reminder list.")
@click.pass_obj
def reminders(root: Path, slug: str | None, fmt: str, erase: str | None) -> None:
    """Export a campaign's launch-reminder list, or erase an address from all of them."""
    from generator.ledger import run_reminders

    click.echo(run_reminders(root, slug, fmt, erase), nl=False)


@main.command()
@click.argument("slug")
@click.pass_obj
def updates(root: Path, slug: str) -> None:
    """What each update mailed to a campaign's backers reached: recipients, sent, failed, unsubscribed."""
    from generator.ledger import run_updates

    click.echo(run_updates(root, slug), nl=False)


@main.command()
@click.argument("slug")
@click.option("--hide", metavar="ID", help="Hide a comment (it stays in the store, shown to nobody).")
@click.option("--delete", metavar="ID", help="Delete a comment and its replies.")
@click.option("--pin", metavar="ID", help="Show a comment first.")
@click.option("--unpin", metavar="ID", help="Stop showing a comment first.")
@click.option("--reply", nargs=2, metavar="ID TEXT", help="Reply to a comment as the creator.")
@click.option("--name", help="The name your reply shows (default: the campaign's creator).")
@click.pass_obj
def comments(root: Path, slug: str, hide: str | None, delete: str | None, pin: str | None, unpin: str | None,
             reply: tuple[str, str] | None, name: str | None) -> None:
    """List a campaign's comments, or moderate one: hide, delete, pin, or reply as the creator."""
    from generator.ledger import run_comments

    click.echo(run_comments(root, slug, hide=hide, delete=delete, pin=pin, unpin=unpin, reply=reply or None,
                            name=name), nl=False)


@main.command()
@click.option("--stack", default="cagnotte", show_default=True, help="The CloudFormation stack's name.")
@click.option("--dry-run", is_flag=True, help="Print what would change (stack, files, CDN) and change nothing.")
@click.option("--site-only", is_flag=True,
              help="Upload the site without touching the stack (refused when the catalog changed).")
@click.option("--parameter", "-p", "parameters", multiple=True, metavar="KEY=VALUE",
              help="A template parameter (DomainName, AlertEmail, …); kept for later deploys.")
@click.option("--template", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="Another SAM template (default: template.yaml beside site.yml, else cagnotte's).")
@click.pass_obj
def deploy(root: Path, stack: str, dry_run: bool, site_only: bool, parameters: tuple[str, ...],
           template: Path | None) -> None:
    """Deploy to AWS: the function package and template.yaml's stack, then the built site, then the CDN."""
    from generator.config import load_config
    from generator.deploy import DeployError, Options, deploy as run

    values = {}
    for item in parameters:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.ClickException(f"--parameter {item!r}: expected KEY=VALUE")
        values[key] = value
    try:
        config = load_config(root)
    except ContentError as error:
        report_problems(root, error)
        sys.exit(1)
    options = Options(root=root, out=root / config.output, stack=stack, template=template, dry_run=dry_run,
                      site_only=site_only, parameters=values)
    try:
        run(options, click.echo)
    except DeployError as error:
        raise click.ClickException(str(error))
