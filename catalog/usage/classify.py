"""Which dataset and channel a request counts for.

=====================================================  ==========  ===================
request (GET, answered 2xx or 3xx)                     channel     counted under
=====================================================  ==========  ===================
``/datasets/<id>``                                     page        the dataset
``/datasets/<id>.json``                                json        the dataset
``/datasets/<id>/datapackage.json``                    export      the dataset
``/-/download/<id>/<distribution>``                    download    the dataset
``/public/<table>[/<row>][.json|.csv]`` naming a       page, json  the dataset
dataset (row ``<id>`` or ``<id>/...``, or              or csv
``?dataset_id=<id>``; ``?id=<id>`` on ``datasets``)
the same naming no dataset                             page, json  ``*`` (catalog-wide)
                                                       or csv
``/public?sql=``, ``/public.json?sql=``, ``.csv``      sql         ``*``
``/search``, ``/datasets`` (and ``.json``)             search      ``*``
``/data.json``, ``/catalog.jsonld``, ... (exports)     export      ``*``
=====================================================  ==========  ===================

A dataset id is counted only when public.db has it, so guessed ids never reach the store.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Container
from typing import NamedTuple
from urllib.parse import parse_qs

from ..site.access import PUBLIC_DB
from .store import CATALOG_WIDE

SEARCH_PATHS = frozenset({"/search", "/search.json", "/datasets", "/datasets.json"})
SQL_PATHS = frozenset({f"/{PUBLIC_DB}", f"/{PUBLIC_DB}.json", f"/{PUBLIC_DB}.csv"})
DATASET_FILTERS = ("dataset_id", "dataset_id__exact")
ID_FILTERS = ("id", "id__exact")
# crawlers, link previewers and uptime monitors; an empty user agent counts as a bot too
BOT = re.compile(r"bot|crawl|spider|slurp|archiver|scrapy|facebookexternalhit|embedly|"
                 r"preview|headless|lighthouse|pingdom|uptime|monitoring", re.I)


class Hit(NamedTuple):
    dataset_id: str
    channel: str


def is_bot(user_agent: str) -> bool:
    return not user_agent.strip() or bool(BOT.search(user_agent))


def countable(method: str, status: int) -> bool:
    return method == "GET" and 200 <= status < 400


def _tilde_decode(text: str) -> str:
    from datasette.utils import tilde_decode

    return str(tilde_decode(text))


def _format(segment: str) -> tuple[str, str]:
    for suffix, channel in ((".json", "json"), (".csv", "csv")):
        if segment.endswith(suffix):
            return segment[: -len(suffix)], channel
    return segment, "page"


def _table(parts: list[str], query: str, datasets: Container[str]) -> Hit | None:
    if not parts or not parts[0] or parts[0].startswith("-") or len(parts) > 2:
        return None
    if len(parts) == 1:
        table, channel = _format(parts[0])
        params = parse_qs(query) if query else {}
        names = DATASET_FILTERS + (ID_FILTERS if table == "datasets" else ())
        for name in names:
            for value in params.get(name, []):
                if value in datasets:
                    return Hit(value, channel)
        return Hit(CATALOG_WIDE, channel)
    row, channel = _format(parts[1])
    key = _tilde_decode(row)
    for candidate in (key, key.split("/", 1)[0]):
        if candidate in datasets:
            return Hit(candidate, channel)
    return Hit(CATALOG_WIDE, channel)


def classify(path: str, query: str, datasets: Container[str],
             exports: Collection[str] = ()) -> Hit | None:
    """The :class:`Hit` a successful GET of ``path?query`` counts as, or None."""
    if path.startswith("/datasets/"):
        rest = path[len("/datasets/"):]
        if rest.endswith("/datapackage.json"):
            dataset_id, channel = rest[: -len("/datapackage.json")], "export"
        elif "/" in rest:
            return None
        else:
            dataset_id, channel = _format(rest)
            if channel == "csv":
                return None
        return Hit(dataset_id, channel) if dataset_id in datasets else None
    if path in SEARCH_PATHS:
        return Hit(CATALOG_WIDE, "search")
    if path.startswith("/-/download/"):
        parts = path[len("/-/download/"):].split("/")
        if len(parts) == 2 and parts[0] in datasets:
            return Hit(parts[0], "download")
        return None
    if path in SQL_PATHS:
        return Hit(CATALOG_WIDE, "sql") if "sql" in parse_qs(query) else None
    if path.startswith(f"/{PUBLIC_DB}/"):
        return _table(path[len(PUBLIC_DB) + 2:].split("/"), query, datasets)
    if path[1:] in exports:
        return Hit(CATALOG_WIDE, "export")
    return None
