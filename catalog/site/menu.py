"""The one "Staff" menu of the site's header: the staff pages, in the order the Chief
Data Officer works through them. Datasette's raw pages (``/inventory``, its tables and
SQL) stay reachable from the pages that need them, never from the menu."""

from __future__ import annotations

from typing import Any

from .access import Actor, is_admin, is_staff

STAFF_MENU: tuple[tuple[str, str], ...] = (
    ("/staff", "Today"),
    ("/staff/problems", "Problems"),
    ("/staff/datasets", "Whole inventory"),
    ("/staff/queries", "Queries"),
    ("/scorecards", "Scorecards"),
    ("/access-plans", "Open Data Access Plans"),
    ("/requests", "Data requests"),
    ("/due", "What falls due"),
    ("/agreements/due", "Agreements due"),
    ("/usage/moderation", "Use cases to moderate"),
)
ADMIN_MENU: tuple[tuple[str, str], ...] = (
    ("/-/password-tool", "Password hashes (admin)"),
)


def staff_menu(actor: Actor) -> list[dict[str, Any]]:
    """The menu's links for ``actor``: none for the public."""
    if not is_staff(actor):
        return []
    items = STAFF_MENU + (ADMIN_MENU if is_admin(actor) else ())
    return [{"href": href, "label": label} for href, label in items]
