"""An iCalendar (RFC 5545) feed of the dates in-force agreements need attention: each
term end (the renewal decision, with a reminder 60 days before) and each next ongoing
review (reminder 14 days before).

UIDs depend only on the agreement and the kind of date, so a calendar that subscribes to
the feed moves an event when its date changes instead of adding a second one; DTSTAMP
is the build time of the catalog, so one build always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from ..problems import CatalogError
from .lifecycle import Dates, next_review

PRODID = "-//State of Connecticut//High-Value Data Inventory: data-sharing agreements//EN"
NAME = "Data-sharing agreements: renewals and ongoing reviews"
REMINDERS = {"term-end": 60, "ongoing-review": 14}


def _icalendar() -> Any:
    try:
        import icalendar
    except ImportError:  # pragma: no cover - a declared dependency
        raise CatalogError("the agreements calendar needs the 'icalendar' package",
                           hint="pip install icalendar") from None
    return icalendar


def _event(ical: Any, d: Dates, kind: str, date: dt.date, *, url: str, domain: str,
           stamp: dt.datetime) -> Any:
    event = ical.Event()
    event.add("uid", f"agreement-{d.id}-{kind}@{domain}")
    event.add("dtstamp", stamp)
    event.add("dtstart", date)
    event.add("dtend", date + dt.timedelta(days=1))
    event.add("transp", "TRANSPARENT")
    event.add("categories", ["Data-sharing agreement"])
    event.add("url", url)
    if kind == "term-end":
        event.add("summary", f"Agreement term ends: {d.title}")
        text = [f"The term of {d.title} ({d.id}) ends on {date.isoformat()}.",
                "Renew it, or let it expire and set status: expired."]
        if d.renewal:
            text.append(f"Renewal: {d.renewal}")
    else:
        event.add("summary", f"Ongoing review due: {d.title}")
        text = [f"Ongoing review of {d.title} ({d.id}) for disproportionality, disparity "
                "or undue burden (DCF Policy 5-4).",
                "Afterwards record ongoing_review.last_done and the next next_due."]
    text.append(url)
    event.add("description", "\n".join(text))
    alarm = ical.Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", event["summary"])
    alarm.add("trigger", dt.timedelta(days=-REMINDERS[kind]))
    event.add_component(alarm)
    return event


def calendar(records: Iterable[Dates], *, base_url: str, domain: str,
             stamp: dt.datetime) -> bytes:
    """The feed for the in-force agreements among ``records``; ``base_url`` prefixes the
    agreement pages, ``domain`` ends the UIDs."""
    ical = _icalendar()
    cal = ical.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", NAME)
    for d in sorted(records, key=lambda r: r.id):
        if not d.in_force:
            continue
        url = f"{base_url.rstrip('/')}/agreements/{d.id}"
        review = next_review(d)
        for kind, date in (("term-end", d.term_end), ("ongoing-review", review)):
            if date is not None:
                cal.add_component(_event(ical, d, kind, date, url=url, domain=domain,
                                         stamp=stamp))
    return bytes(cal.to_ical())
