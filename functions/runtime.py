"""The functions' collaborators, built once per process from the environment.

This is the edge where ``os.environ`` is read (DESIGN §7). Everything is built
lazily, so the stats function never imports ``stripe`` and a cold start only
pays for what its route uses.

Secrets: ``STRIPE_SECRET_KEY``, ``STRIPE_WEBHOOK_SECRET`` and ``CAGNOTTE_SECRET`` are
read from the environment, or, on AWS, from the SSM Parameter Store SecureString
parameter that ``<NAME>_PARAM`` names (template.yaml sets those): one
``GetParameters`` call when the process's runtime is built, so once per cold start.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from functions.core.catalog import FILENAME, Catalog
from functions.core.errors import Unavailable
from functions.core.ports import Payments, Store


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass
class Runtime:
    """What a handler needs: the catalog, the store, payments, the webhook secret, a clock."""

    catalog_path: Path
    store_url: str | None = None
    stripe_key: str | None = None
    webhook_secret: str | None = None
    secret: str | None = None  # CAGNOTTE_SECRET: signs the backers' private links
    stripe_api_base: str | None = None
    stripe_budget: str | None = None  # CAGNOTTE_STRIPE_BUDGET: seconds one Stripe call may take, retries included
    origin: str | None = None  # serve's own address: pages are linked there, not at base_url
    clock: Callable[[], dt.datetime] = utcnow
    payments_factory: Callable[[], Payments] | None = None
    private_path: Path | None = None  # CAGNOTTE_PRIVATE: the build's private.json (creators' digest addresses)
    mail_url: str | None = None  # CAGNOTTE_MAIL: outbox:///path (default) or ses
    mail_from: str | None = None  # CAGNOTTE_MAIL_FROM
    ses_configuration_set: str | None = None
    downloads_dir: Path | None = None  # serve: the campaigns' folders, where download files are read
    downloads_bucket: str | None = None  # CAGNOTTE_DOWNLOADS: the private S3 bucket of download files (AWS)
    _mailer: object | None = field(default=None, repr=False)
    _templates: tuple[tuple[int, int], object] | None = field(default=None, repr=False)
    _store: Store | None = field(default=None, repr=False)
    _payments: Payments | None = field(default=None, repr=False)
    _catalog: tuple[tuple[int, int], Catalog] | None = field(default=None, repr=False)
    _shells: dict[str, tuple[tuple[int, int], str]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_environment(cls) -> "Runtime":
        env = os.environ
        default_catalog = Path(__file__).resolve().parent / FILENAME  # shipped beside the code by the deploy
        secrets = environment_secrets(env)
        return cls(catalog_path=Path(env.get("CAGNOTTE_CATALOG") or default_catalog),
                   store_url=env.get("CAGNOTTE_STORE") or None,
                   stripe_key=secrets["STRIPE_SECRET_KEY"],
                   webhook_secret=secrets["STRIPE_WEBHOOK_SECRET"],
                   secret=secrets["CAGNOTTE_SECRET"],
                   private_path=Path(env["CAGNOTTE_PRIVATE"]) if env.get("CAGNOTTE_PRIVATE")
                   else Path(__file__).resolve().parent / "private.json",
                   mail_url=env.get("CAGNOTTE_MAIL") or None, mail_from=env.get("CAGNOTTE_MAIL_FROM") or None,
                   ses_configuration_set=env.get("CAGNOTTE_SES_CONFIGURATION_SET") or None,
                   stripe_api_base=env.get("STRIPE_API_BASE") or None,
                   stripe_budget=env.get("CAGNOTTE_STRIPE_BUDGET") or None,
                   downloads_bucket=env.get("CAGNOTTE_DOWNLOADS") or None)

    def now(self) -> dt.datetime:
        return self.clock()

    @property
    def catalog(self) -> Catalog:
        """The catalog the build produced (re-read when the file changes: serve rebuilds)."""
        try:
            stat = self.catalog_path.stat()
        except OSError:
            raise Unavailable("the campaign catalog is missing: build the site first") from None
        key = (stat.st_mtime_ns, stat.st_size)
        cached = self._catalog
        if cached is None or cached[0] != key:
            catalog = Catalog.from_json(self.catalog_path.read_text(encoding="utf-8"))
            self._catalog = cached = (key, catalog)
        return cached[1]

    @property
    def origins(self) -> set[str]:
        """The origins a backer's form may be posted from: the site's, the API's, serve's own."""
        from urllib.parse import urlsplit

        found = {self.origin} if self.origin else set()
        if self.origin and "://127.0.0.1:" in self.origin:  # serve: the same machine by either name
            found.add(self.origin.replace("://127.0.0.1:", "://localhost:"))
        try:
            catalog = self.catalog
        except Unavailable:
            return found
        for url in (catalog.base_url, catalog.api):
            parts = urlsplit(url)
            if parts.scheme and parts.netloc:
                found.add(f"{parts.scheme}://{parts.netloc}")
        return found

    @property
    def api_base(self) -> str:
        """Where the API answers, as a backer's browser reaches it."""
        return f"{self.origin}/api" if self.origin else self.catalog.api

    @property
    def links(self):
        """The absolute (and signed) links messages carry (serve's own address when served locally)."""
        from functions.core.notify import links_for

        try:
            catalog = self.catalog
        except Unavailable:
            return None
        return links_for(catalog, self.secret, self.origin)

    def _private(self) -> dict:
        """The build's private.json (creators' addresses, digital rewards), or {} without one."""
        import json

        if self.private_path is None:
            return {}
        try:
            return json.loads(self.private_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    @property
    def creators(self) -> dict[str, str]:
        """Campaign → the creator's digest address (empty when none is configured)."""
        return self._private().get("creators", {})

    @property
    def downloads(self) -> dict[str, dict]:
        """Campaign → reward → ``{"files": [...]}`` or ``{"codes": [...]}`` (private.json; empty when none)."""
        return self._private().get("downloads", {})

    @property
    def mailer(self):
        if self._mailer is None:
            from functions.mailers import open_mailer

            self._mailer = open_mailer(self.mail_url, sender=self.mail_from,
                                       configuration_set=self.ses_configuration_set)
        return self._mailer

    def page_shell(self, lang: str) -> str | None:
        """The site's frame for the functions' own pages in ``lang`` (``_shell/<lang>.html``, which
        the build writes beside the catalog and the deploy ships), or None without one."""
        import re

        if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", lang or ""):
            return None
        path = self.catalog_path.parent / "_shell" / f"{lang}.html"
        try:
            stat = path.stat()
        except OSError:
            return None
        key = (stat.st_mtime_ns, stat.st_size)
        kept = self._shells.get(lang)
        if kept is None or kept[0] != key:
            text = path.read_text(encoding="utf-8")
            try:
                catalog = self.catalog
            except Unavailable:
                catalog = None
            if catalog is not None and not self.origin:
                from urllib.parse import urlsplit

                # The site's own links are root-relative: when the API has a host of its own,
                # they must name the site's.
                site, api = urlsplit(catalog.base_url), urlsplit(catalog.api)
                if (site.scheme, site.netloc) != (api.scheme, api.netloc):
                    base = catalog.base_url.rstrip("/")
                    text = re.sub(r'(\s(?:href|src)=")/(?!/)', lambda m: m.group(1) + base + "/", text)
            kept = self._shells[lang] = (key, text)
        return kept[1]

    def mail_templates(self):
        """The e-mail templates the build compiled (``mail.json`` beside the catalog), or None."""
        from functions.core import mailtext

        path = self.catalog_path.parent / "mail.json"
        try:
            stat = path.stat()
        except OSError:
            return None
        key = (stat.st_mtime_ns, stat.st_size)
        if self._templates is None or self._templates[0] != key:
            self._templates = (key, mailtext.Templates.from_json(path.read_text(encoding="utf-8")))
        return self._templates[1]

    def send_due_mail(self, limit: int = 50):
        """Send what the last changes queued; never fails the request that triggered it."""
        import logging

        try:
            from functions.core import mailtext
            from functions.core.sending import send_due

            templates = self.mail_templates()
            if templates is None:
                logging.getLogger("cagnotte.mail").warning("no mail.json beside the catalog: mail stays queued")
                return None
            from functions.core.reminders import address_hash

            return send_due(self.store, self.mailer,
                            lambda mail: mailtext.render(mail, templates, base_url=self.origin), self.now(),
                            limit=limit, suppressed=lambda to: self.store.is_suppressed(address_hash(to)))
        except Exception:  # the queue keeps the rows: the next call or the schedule sends them
            logging.getLogger("cagnotte.mail").exception("sending queued mail failed")
            return None

    @property
    def store(self) -> Store:
        if self._store is None:
            with self._lock:
                if self._store is None:
                    from functions.store import open_store

                    self._store = open_store(self.store_url)
        return self._store

    @property
    def payments(self) -> Payments:
        if self._payments is None:
            with self._lock:
                if self._payments is None:
                    if self.payments_factory is not None:
                        self._payments = self.payments_factory()
                    elif self.stripe_key:
                        from functions.payments.stripe_budget import budget_from
                        from functions.payments.stripe_checkout import StripePayments

                        self._payments = StripePayments(self.stripe_key, api_base=self.stripe_api_base,
                                                        budget=budget_from(self.stripe_budget),
                                                        templates=self.mail_templates)
                    else:
                        raise Unavailable("payments are not configured (STRIPE_SECRET_KEY is not set)")
        return self._payments


SECRETS = ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "CAGNOTTE_SECRET")


def environment_secrets(env) -> dict[str, str | None]:
    """Each secret from its variable, else from the Parameter Store parameter ``<NAME>_PARAM`` names."""
    values = {name: env.get(name) or None for name in SECRETS}
    wanted = {name: env[f"{name}_PARAM"] for name in SECRETS if values[name] is None and env.get(f"{name}_PARAM")}
    if wanted:
        found = read_parameters(sorted(set(wanted.values())))
        values.update({name: found[parameter] for name, parameter in wanted.items()})
    return values


def read_parameters(names: list[str]) -> dict[str, str]:
    """SecureString parameters, decrypted, in one call (boto3 imported only here)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        answer = boto3.client("ssm").get_parameters(Names=names, WithDecryption=True)
    except (BotoCoreError, ClientError) as error:
        code = getattr(error, "response", {}).get("Error", {}).get("Code", type(error).__name__)
        raise Unavailable(f"the secrets could not be read from Parameter Store ({code})") from None
    if answer.get("InvalidParameters"):
        raise Unavailable(f"Parameter Store has no parameter {', '.join(sorted(answer['InvalidParameters']))}")
    return {p["Name"]: p["Value"] for p in answer["Parameters"]}


_current: Runtime | None = None


def current() -> Runtime:
    """The process's runtime (built from the environment on first use)."""
    global _current
    if _current is None:
        _current = Runtime.from_environment()
    return _current


def install(runtime: Runtime | None) -> None:
    """Use ``runtime`` for the handlers of this process (serve, tests)."""
    global _current
    _current = runtime
