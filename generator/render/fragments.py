"""``{% cache … %}…{% endcache %}``: template fragments kept between builds.

The home page renders one card per campaign; when one campaign changes, the
other 999 cards are the same bytes as last time. A theme wraps such a fragment
in ``{% cache campaign, status %}`` and the build reuses its HTML.

The key is made of the values given (a campaign stands for everything it
shows: its files' fingerprint and its days left), the page's language, the
translations, site.yml, the theme's assets and the fingerprint of the template
that holds the tag and of every template it reaches. A fragment must depend on
nothing else.
"""

from __future__ import annotations

import hashlib
from typing import Any, Callable

from jinja2 import nodes
from markupsafe import Markup
from jinja2.ext import Extension


class FragmentCache(Extension):
    tags = {"cache"}

    def __init__(self, environment):
        super().__init__(environment)
        environment.extend(fragment_store=None)

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        args = [parser.parse_expression()]
        while parser.stream.skip_if("comma"):
            args.append(parser.parse_expression())
        body = parser.parse_statements(("name:endcache",), drop_needle=True)
        args.insert(0, nodes.Const(parser.name or ""))
        return nodes.CallBlock(self.call_method("_cached", [nodes.List(args)]), [], [], body).set_lineno(lineno)

    def _cached(self, args: list, caller: Callable[[], str]) -> str:
        store: Store | None = self.environment.fragment_store
        if store is None:
            return caller()
        template, *values = args
        key = store.key(template, values)
        html = store.get(key)
        if html is None:
            html = str(caller())
            store.put(key, html)
        return Markup(html)  # already escaped when it was rendered


class Store:
    """Fragments of one language: what the last builds made, and what this one adds."""

    def __init__(self, known: dict[str, str], salt: str, identity: Callable[[Any], Any],
                 template_fingerprint: Callable[[str], str]):
        self.known = known
        self.salt = salt
        self.identity = identity
        self.template_fingerprint = template_fingerprint
        self.made: dict[str, str] = {}
        self.used: set[str] = set()

    def key(self, template: str, values: list) -> str:
        parts = [self.salt, template, self.template_fingerprint(template)]
        parts.extend(repr(self.identity(value)) for value in values)
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    def get(self, key: str) -> str | None:
        self.used.add(key)
        return self.known.get(key)

    def put(self, key: str, html: str) -> None:
        self.known[key] = html
        self.made[key] = html
