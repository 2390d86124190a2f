"""Aggregates of the usage store over a period: the usage page, its JSON and CSV, and
``catalog usage report`` all show this and nothing else."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from .published import Published
from .store import CATALOG_WIDE, CHANNELS, SOURCES, Store

DEFAULT_DAYS = 30
MAX_DAYS = 3660
CATALOG_WIDE_TITLE = "Catalog-wide (search, SQL, exports, tables)"
CATALOG_WIDE_AGENCY = "Catalog-wide"
GONE_AGENCY = "No longer published"
WITHDRAWN = "-"  # the public's key for datasets no longer in public.db (their ids may
                 # now be hidden); staff see the ids
DAILY_COLUMNS = ("day", "dataset_id", "title", "agency_id", "channel", "source", "hits",
                 "visitors")


FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2999, 12, 31)


class PeriodError(ValueError):
    """A ``since``/``until`` that is not a date or not a valid range."""


def period(since: str | dt.date | None, until: str | dt.date | None,
           today: dt.date) -> tuple[dt.date, dt.date]:
    """The inclusive period asked for; by default the last 30 days up to ``today``."""
    def parse(value: str | dt.date | None, name: str) -> dt.date | None:
        if value is None or value == "":
            return None
        if isinstance(value, dt.date):
            return value
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise PeriodError(f"{name} must be a date as YYYY-MM-DD") from None
        if not FIRST_DAY <= day <= LAST_DAY:  # a period's days are counted one by one
            raise PeriodError(f"{name} must be between {FIRST_DAY} and {LAST_DAY}")
        return day

    end = parse(until, "until") or today
    start = parse(since, "since") or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise PeriodError("since is after until")
    if (end - start).days >= MAX_DAYS:
        raise PeriodError(f"the period may span at most {MAX_DAYS} days")
    return start, end


@dataclass
class UsageReport:
    since: dt.date
    until: dt.date
    audience: str
    sources: list[str]
    total: int
    days: list[dict[str, Any]]
    datasets: list[dict[str, Any]]
    agencies: list[dict[str, Any]]
    channels: list[dict[str, Any]]
    by_source: list[dict[str, Any]]
    catalog_wide_channels: list[dict[str, Any]]  # the part of ``channels`` not for a dataset

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["since"], data["until"] = self.since.isoformat(), self.until.isoformat()
        for row in data["days"]:
            row["day"] = row["day"].isoformat()
        return data


def describe(published: Published, dataset_id: str) -> tuple[str, str | None, str]:
    """(title, agency id, agency name) of a dataset id as reports show it."""
    if dataset_id == CATALOG_WIDE:
        return CATALOG_WIDE_TITLE, None, CATALOG_WIDE_AGENCY
    if dataset_id == WITHDRAWN:
        return "Datasets no longer published", None, GONE_AGENCY
    info = published.datasets.get(dataset_id)
    if info is None:
        return dataset_id, None, GONE_AGENCY
    return info.title, info.agency_id, published.agencies.get(info.agency_id,
                                                              info.agency_id)


def public_key(published: Published, dataset_id: str, staff: bool) -> str:
    """The id a report shows: withdrawn datasets merge into one key for the public."""
    if staff or dataset_id == CATALOG_WIDE or dataset_id in published.datasets:
        return dataset_id
    return WITHDRAWN


def build_report(store: Store, published: Published, since: dt.date, until: dt.date, *,
                 sources: tuple[str, ...] = SOURCES, audience: str = "human",
                 staff: bool = False) -> UsageReport:
    q: dict[str, Any] = {"audiences": (audience,), "sources": sources}
    by_day = store.totals("day", since, until, **q)
    by_dataset: dict[str, int] = {}
    for dataset_id, hits in store.totals("dataset_id", since, until, **q).items():
        key = public_key(published, dataset_id, staff)
        by_dataset[key] = by_dataset.get(key, 0) + hits
    by_channel = store.totals("channel", since, until, **q)
    wide_channel = store.totals("channel", since, until, dataset_id=CATALOG_WIDE, **q)
    by_source = store.totals("source", since, until, **q)
    days = []
    day = since
    while day <= until:
        days.append({"day": day, "hits": by_day.get(day, by_day.get(day.isoformat(), 0))})
        day += dt.timedelta(days=1)
    datasets: list[dict[str, Any]] = []
    agencies: dict[str, dict[str, Any]] = {}
    for dataset_id, hits in by_dataset.items():
        title, agency_id, agency = describe(published, dataset_id)
        datasets.append({"dataset_id": dataset_id, "title": title, "agency_id": agency_id,
                         "agency": agency, "hits": hits})
        slot = agencies.setdefault(agency, {"agency_id": agency_id, "agency": agency,
                                            "hits": 0})
        slot["hits"] += hits
    datasets.sort(key=lambda r: (-r["hits"], r["dataset_id"]))
    ranked_agencies = sorted(agencies.values(), key=lambda r: (-r["hits"], r["agency"]))
    channels = [{"channel": c, "hits": by_channel.get(c, 0)} for c in CHANNELS
                if by_channel.get(c) or c != "api"]
    return UsageReport(
        since=since, until=until, audience=audience, sources=list(sources),
        total=sum(by_dataset.values()), days=days, datasets=datasets,
        agencies=ranked_agencies, channels=channels,
        by_source=[{"source": s, "hits": by_source.get(s, 0)} for s in sources],
        catalog_wide_channels=[{"channel": c, "hits": wide_channel[c]} for c in CHANNELS
                               if wide_channel.get(c)])


def daily_rows(store: Store, published: Published, since: dt.date, until: dt.date, *,
               sources: tuple[str, ...] = SOURCES, audiences: tuple[str, ...] = ("human",),
               staff: bool = False) -> list[dict[str, Any]]:
    """The stored daily counters of the period with each dataset's title and agency."""
    rows: dict[tuple[str, ...], dict[str, Any]] = {}
    for row in store.daily(since, until, audiences=audiences, sources=sources):
        dataset_id = public_key(published, row["dataset_id"], staff)
        key = (str(row["day"]), dataset_id, row["channel"], row["source"], row["audience"])
        if key in rows:
            rows[key]["hits"] += row["hits"]
            rows[key]["visitors"] += row["visitors"]
            continue
        title, agency_id, _ = describe(published, dataset_id)
        out = {"day": key[0], "dataset_id": dataset_id, "title": title,
               "agency_id": agency_id, "channel": row["channel"], "source": row["source"],
               "hits": row["hits"], "visitors": row["visitors"]}
        if audiences != ("human",):
            out["audience"] = row["audience"]
        rows[key] = out
    return list(rows.values())


def csv_columns(rows: list[dict[str, Any]], columns: tuple[str, ...] | None = None
                ) -> list[str]:
    """The CSV's columns: ``columns`` (or the first row's keys), then any other key."""
    names = list(columns or (rows[0].keys() if rows else DAILY_COLUMNS))
    for row in rows:
        names += [k for k in row if k not in names]
    return names
