"""Which dataset and channel a request counts for (catalog.usage.classify)."""

from __future__ import annotations

import pytest

from catalog.usage.classify import Hit, classify, countable, is_bot

DATASETS = {"dcf-a", "dph-b"}


@pytest.mark.parametrize("path, query, expected", [
    ("/datasets/dcf-a", "", Hit("dcf-a", "page")),
    ("/datasets/dcf-a.json", "", Hit("dcf-a", "json")),
    ("/datasets/dcf-a/datapackage.json", "", Hit("dcf-a", "export")),
    ("/datasets/dcf-a/use-cases", "", None),
    ("/datasets/guessed-id", "", None),
    ("/datasets/guessed-id.json", "", None),
    ("/-/download/dcf-a/csv", "", Hit("dcf-a", "download")),
    ("/-/download/guessed/csv", "", None),
    ("/public/datasets/dcf-a", "", Hit("dcf-a", "page")),
    ("/public/datasets/dcf-a.json", "", Hit("dcf-a", "json")),
    ("/public/datasets/dcf-a.csv", "", Hit("dcf-a", "csv")),
    ("/public/datasets.json", "id=dph-b", Hit("dph-b", "json")),
    ("/public/fields.csv", "dataset_id=dcf-a&_sort=position", Hit("dcf-a", "csv")),
    ("/public/fields.json", "dataset_id__exact=dph-b", Hit("dph-b", "json")),
    ("/public/fields.json", "id=dcf-a", Hit("*", "json")),  # id= names a dataset only there
    ("/public/fields.json", "dataset_id=guessed", Hit("*", "json")),
    ("/public/distributions/dcf-a~2Fcsv.json", "", Hit("dcf-a", "json")),
    ("/public/agencies/dcf", "", Hit("*", "page")),
    ("/public/agencies", "", Hit("*", "page")),
    ("/public", "sql=select+1", Hit("*", "sql")),
    ("/public.json", "sql=select+1", Hit("*", "sql")),
    ("/public.csv", "sql=select+1", Hit("*", "sql")),
    ("/public", "", None),
    ("/search", "q=town", Hit("*", "search")),
    ("/search.json", "", Hit("*", "search")),
    ("/datasets", "", Hit("*", "search")),
    ("/data.json", "", Hit("*", "export")),
    ("/inventory.csv", "", Hit("*", "export")),
    ("/inventory/datasets.json", "", None),
    ("/usage", "", None),
    ("/", "", None),
    ("/-/static/app.css", "", None),
])
def test_classify(path: str, query: str, expected: Hit | None) -> None:
    assert classify(path, query, DATASETS) == expected


def test_only_successful_gets_count() -> None:
    assert countable("GET", 200) and countable("GET", 302) and countable("GET", 304)
    assert not countable("GET", 404) and not countable("GET", 403)
    assert not countable("GET", 500) and not countable("POST", 200)
    assert not countable("HEAD", 200)


@pytest.mark.parametrize("agent, bot", [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0", False),
    ("python-httpx/0.28.1", False),
    ("curl/8.5.0", False),
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", True),
    ("Mozilla/5.0 (compatible; bingbot/2.0)", True),
    ("facebookexternalhit/1.1", True),
    ("Mozilla/5.0 (compatible; Yahoo! Slurp)", True),
    ("", True),
])
def test_bots(agent: str, bot: bool) -> None:
    assert is_bot(agent) is bot
