"""Risk flags: the changes to the inventory that need a second look.

One module decides them all, for ``catalog diff`` (a pull request's changes) and for
the staff history of every dataset:

* ``risk-more-visible``: a dataset or a field becomes more visible (visibility or access
  level opened, a new dataset the public will see, a field no longer internal);
* ``risk-pii-exposed``: a PII or demographic field is added to, or unmarked in, a
  public dataset (or a dataset holding them becomes public);
* ``risk-classification-lowered``: a dataset's classification is lowered or removed
  (or a level of the classification standard is ranked lower);
* ``risk-policy-removed``: a suppression or personal-data policy is removed;
* ``risk-agreement-changed``: an agreement's parties, purpose or term change;
* ``risk-standard-values-changed``: a standard's values change under existing fields.

Whether a field holds personal data is asked of :func:`is_pii` and
:func:`is_demographic` only, so that a derived judgement can replace the declared flag
in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .. import problems as P
from .changes import Change

Record = Mapping[str, Any]

VISIBILITY_RANK = {"hidden": 0, "listed": 1, "public": 2}
ACCESS_RANK = {"non-public": 0, "restricted public": 1, "public": 2}
AGREEMENT_TERMS = ("parties", "purpose", "term")


@dataclass(frozen=True)
class Flag:
    code: str
    message: str
    path: str  # the record path (datasets) or JSON pointer (other files) it concerns
    hint: str = ""


def is_pii(record: Record, name: str) -> bool:
    """Does field ``name`` hold personally identifiable information?"""
    return bool(record.get(f"fields/{name}/pii"))


def is_demographic(record: Record, name: str) -> bool:
    return bool(record.get(f"fields/{name}/demographic"))


def _fields(record: Record) -> list[str]:
    return [k.split("/", 1)[1] for k, v in record.items()
            if k.startswith("fields/") and k.count("/") == 1 and v]


def is_public(record: Record) -> bool:
    """Is the data (or its whole record) open to the public?"""
    return record.get("access_level") == "public" or record.get("visibility") == "public"


def _sensitive(record: Record, name: str) -> str:
    kinds = [k for k, test in (("PII", is_pii), ("demographic", is_demographic))
             if test(record, name)]
    return " and ".join(kinds)


def dataset_flags(before: Record | None, after: Record | None,
                  rank: Callable[[str, str | None], int | None] | None = None) -> list[Flag]:
    """The risk flags of one dataset's change. ``rank(side, level)`` gives a
    classification level's rank in the standards of ``side`` ("before"/"after")."""
    if after is None:
        return []
    out: list[Flag] = []
    b = before or {}
    name = after.get("title") or "the dataset"
    vis_b, vis_a = b.get("visibility", "hidden"), after.get("visibility", "hidden")
    if before is None and vis_a != "hidden":
        out.append(Flag(P.RISK_MORE_VISIBLE, f"new dataset '{name}' is {vis_a} in the public "
                        "catalog", "visibility", "check that every field and text may be "
                        "public"))
    elif VISIBILITY_RANK.get(vis_a, 0) > VISIBILITY_RANK.get(vis_b, 0):
        out.append(Flag(P.RISK_MORE_VISIBLE, f"visibility goes from {vis_b} to {vis_a}",
                        "visibility", "check that the record may be shown to the public"))
    acc_b, acc_a = b.get("access_level"), after.get("access_level")
    if before is not None and ACCESS_RANK.get(acc_a or "", 0) > ACCESS_RANK.get(acc_b or "", 0):
        out.append(Flag(P.RISK_MORE_VISIBLE, f"access level goes from {acc_b} to {acc_a}",
                        "access_level", "check the classification and the data's "
                        "suppression before the data is released"))
    fields = _fields(after)
    if vis_a == "public":
        for field in fields:
            if before is not None and b.get(f"fields/{field}/internal") and not after.get(
                    f"fields/{field}/internal"):
                out.append(Flag(P.RISK_MORE_VISIBLE, f"field '{field}' is no longer internal: "
                                "its description becomes public",
                                f"fields/{field}/internal"))
    if is_public(after):
        became_public = before is None or not is_public(b)
        for field in fields:
            kinds = _sensitive(after, field)
            if kinds and (became_public or f"fields/{field}" not in b):
                what = "added to" if f"fields/{field}" not in b else "in"
                out.append(Flag(P.RISK_PII_EXPOSED, f"{kinds} field '{field}' {what} a "
                                "public dataset", f"fields/{field}",
                                "publish aggregates, or make the dataset non-public"))
        for field in fields:
            for column, word, test in (("pii", "PII", is_pii),
                                       ("demographic", "demographic", is_demographic)):
                if test(b, field) and not test(after, field):
                    out.append(Flag(P.RISK_PII_EXPOSED, f"field '{field}' of a public dataset "
                                    f"is no longer marked {word}", f"fields/{field}/{column}",
                                    "unmark a field only when it holds no such data"))
    level_b, level_a = b.get("classification"), after.get("classification")
    if level_b and not level_a:
        out.append(Flag(P.RISK_CLASSIFICATION_LOWERED, f"classification '{level_b}' is removed",
                        "classification"))
    elif level_b and level_a and level_b != level_a and rank is not None:
        rb, ra = rank("before", level_b), rank("after", level_a)
        if rb is not None and ra is not None and ra < rb:
            out.append(Flag(P.RISK_CLASSIFICATION_LOWERED, f"classification goes from "
                            f"{level_b} to {level_a}", "classification",
                            "a lower level needs a new classification assessment"))
    for column, what in (("suppression_policy", "suppression policy"),
                         ("personal_data_purpose", "personal-data policy")):
        if b.get(column) and not after.get(column):
            out.append(Flag(P.RISK_POLICY_REMOVED, f"the {what} is removed", column,
                            "state why the dataset no longer needs it"))
    return out


def agreement_flags(before: Record | None, after: Record | None) -> list[Flag]:
    """An existing agreement whose parties, purpose or term change."""
    if before is None or after is None:
        return []
    out = []
    for part in AGREEMENT_TERMS:
        changed = sorted({k for k in {*before, *after}
                          if (k == part or k.startswith(part + "/"))
                          and before.get(k) != after.get(k)})
        if changed:
            out.append(Flag(P.RISK_AGREEMENT_CHANGED, f"the agreement's {part} change",
                            "/" + changed[0], "a changed agreement needs the approvals "
                            "again"))
    return out


def level_flags(before: Mapping[str, int], after: Mapping[str, int]) -> list[Flag]:
    """Levels of the classification standard ranked lower than before."""
    return [Flag(P.RISK_CLASSIFICATION_LOWERED, f"classification level '{level}' is ranked "
                 f"{after[level]} instead of {rank}", f"/levels/{level}",
                 "every dataset at this level is treated as less sensitive")
            for level, rank in before.items() if level in after and after[level] < rank]


def values_flags(element: str, changes: Sequence[Change], users: Sequence[str]) -> list[Flag]:
    """A standard whose values change while fields follow it."""
    if not users or not changes:
        return []
    removed = [c.path.split("/", 1)[1] for c in changes if c.new is None]
    added = [c.path.split("/", 1)[1] for c in changes if c.old is None]
    said = [f"{len(removed)} removed" if removed else "",
            f"{len(added)} added" if added else "",
            f"{len(changes) - len(removed) - len(added)} relabelled"
            if len(changes) > len(removed) + len(added) else ""]
    shown = ", ".join(users[:3]) + (f" and {len(users) - 3} more" if len(users) > 3 else "")
    return [Flag(P.RISK_STANDARD_VALUES_CHANGED,
                 f"values of standard '{element}' change ({', '.join(s for s in said if s)}) "
                 f"under {len(users)} field(s): {shown}", "/values",
                 "check that those fields' data still conforms")]

