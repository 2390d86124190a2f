"""Cross-file references: ids unique and matching their paths, agencies, standards,
vocabulary terms, classification levels, suppression policies, agreements ↔ datasets."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import problems as P
from ..load import Document
from ..problems import Problem

if TYPE_CHECKING:
    from ..model import Dataset
    from ..standards import Standards
    from . import Entry, Inventory


def _suggest(value: str, choices: Iterable[str]) -> str:
    choices = list(choices)
    close = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    shown = sorted(choices)[:10]
    return ("known: " + ", ".join(shown) + ("…" if len(choices) > 10 else "")) if shown else ""


def duplicate(doc: Document, key: str, first: str) -> Problem:
    """``key`` was first used by the file ``first``."""
    return doc.problem(P.DUPLICATE_ID, f"id '{key}' is already used by {first}",
                       "/id", hint="ids are unique across the whole inventory: prefix them "
                       "with the agency id")


def _id_matches_file(entry: "Entry[Any]") -> Iterator[Problem]:
    key, stem = entry.model.id, Path(entry.source.rel).stem
    if key != stem:
        yield entry.doc.problem(P.ID_FILENAME_MISMATCH, f"id '{key}' differs from the file "
                                f"name '{stem}'", "/id",
                                hint=f"rename the file to {key}.yml or change the id")


def _datasets_exist(doc: Document, ids: list[str], known: Collection[str]
                    ) -> Iterator[Problem]:
    for i, dataset_id in enumerate(ids):
        if dataset_id not in known:
            yield doc.problem(P.UNKNOWN_DATASET, f"dataset '{dataset_id}' does not exist",
                              f"/datasets/{i}", hint=_suggest(dataset_id, known))


def _term(doc: Document, pointer: str, value: str | None, terms: dict[str, str],
          vocabulary: str) -> Iterator[Problem]:
    if value is not None and terms and value not in terms:
        yield doc.problem(P.UNKNOWN_TERM, f"'{value}' is not in the {vocabulary} vocabulary",
                          pointer, hint=_suggest(value, terms) +
                          " (standards/vocabularies.yml)")


def check_agencies(inv: "Inventory") -> Iterator[Problem]:
    for agency_id, agency in inv.agencies.items():
        if agency_id != agency.source.folder:
            yield agency.doc.problem(
                P.ID_FILENAME_MISMATCH, f"agency id '{agency_id}' differs from its folder "
                f"'{agency.source.folder}'", "/id", hint="the folder name is the agency id")


def dataset_references(entry: "Entry[Dataset]", std: "Standards") -> Iterator[Problem]:
    """The references a descriptor makes to its own path and to the standards."""
    themes, licenses = std.terms("themes"), std.terms("licenses")
    frequencies, granularities = std.terms("frequencies"), std.terms("granularities")
    d, doc = entry.model, entry.doc
    yield from _id_matches_file(entry)
    if d.agency != entry.source.folder:
        yield doc.problem(P.AGENCY_FOLDER_MISMATCH, f"agency '{d.agency}' but the file is in "
                          f"inventory/{entry.source.folder}/", "/agency",
                          hint=f"move the file to inventory/{d.agency}/ or fix 'agency'")
    for i, theme in enumerate(d.themes):
        yield from _term(doc, f"/themes/{i}", theme, themes, "themes")
    yield from _term(doc, "/license", d.license, licenses, "licenses")
    if d.lifecycle:
        yield from _term(doc, "/lifecycle/update_frequency", d.lifecycle.update_frequency,
                         frequencies, "frequencies")
    if d.disclosure:
        yield from _term(doc, "/disclosure/granularity", d.disclosure.granularity,
                         granularities, "granularities")
        policy = d.disclosure.suppression_policy
        if policy and policy not in std.policies:
            yield doc.problem(P.UNKNOWN_SUPPRESSION_POLICY, f"suppression policy '{policy}' "
                              "does not exist", "/disclosure/suppression_policy",
                              hint=_suggest(policy, std.policies) +
                              " (standards/suppression.yml)")
    if d.classification and d.classification.level not in std.levels:
        level = d.classification.level
        yield doc.problem(P.UNKNOWN_CLASSIFICATION, f"classification level '{level}' does "
                          "not exist", "/classification/level",
                          hint=_suggest(level, std.levels) + " (standards/classification.yml)")
    if d.schema_:
        for i, f in enumerate(d.schema_.fields):
            if f.standard and f.standard not in std.elements:
                yield doc.problem(P.UNKNOWN_STANDARD, f"field '{f.name}' names standard "
                                  f"'{f.standard}', which does not exist",
                                  f"/schema/fields/{i}/standard",
                                  hint=_suggest(f.standard, std.elements) +
                                  " (standards/elements/)")


def links_ok(agency: str, related: Iterable[str], agencies: Collection[str],
             agreements: Collection[str]) -> bool:
    """The cheap test behind :func:`check_links` (no document needed when it passes)."""
    return agency in agencies and all(a in agreements for a in related)


def check_links(entry: "Entry[Dataset]", agencies: Collection[str],
                agreements: Collection[str]) -> Iterator[Problem]:
    """The references a descriptor makes to other files: its agency and agreements."""
    d, doc = entry.model, entry.doc
    if d.agency not in agencies:
        yield doc.problem(P.UNKNOWN_AGENCY, f"agency '{d.agency}' has no "
                          f"inventory/{d.agency}/_agency.yml", "/agency",
                          hint=_suggest(d.agency, agencies) or
                          f"create inventory/{d.agency}/_agency.yml")
    for i, agreement_id in enumerate(d.related_agreements):
        if agreement_id not in agreements:
            yield doc.problem(P.UNKNOWN_AGREEMENT, f"agreement '{agreement_id}' does not "
                              "exist", f"/related_agreements/{i}",
                              hint=_suggest(agreement_id, agreements) or
                              "agreements live in inventory/_agreements/<id>.yml")


def check_registers(inv: "Inventory", datasets: Collection[str]) -> Iterator[Problem]:
    """Requests and agreements: ids, and the datasets and agencies they name."""
    for request in inv.requests.values():
        r, doc = request.model, request.doc
        yield from _id_matches_file(request)
        yield from _datasets_exist(doc, r.datasets, datasets)
        for pointer, named in (("/requester/agency", r.requester.agency),
                               ("/handled_by", r.handled_by)):
            if named and named not in inv.agencies:
                yield doc.problem(P.UNKNOWN_AGENCY, f"agency '{named}' does not exist", pointer,
                                  hint=_suggest(named, inv.agencies))
        if r.agreement and r.agreement not in inv.agreements:
            yield doc.problem(P.UNKNOWN_AGREEMENT, f"agreement '{r.agreement}' does not exist",
                              "/agreement", hint=_suggest(r.agreement, inv.agreements) or
                              "agreements live in inventory/_agreements/<id>.yml")
    for agreement in inv.agreements.values():
        a, doc = agreement.model, agreement.doc
        yield from _id_matches_file(agreement)
        yield from _datasets_exist(doc, a.datasets, datasets)
        for i, party in enumerate(a.parties):
            if party.agency and party.agency not in inv.agencies:
                yield doc.problem(P.UNKNOWN_AGENCY, f"party agency '{party.agency}' does not "
                                  "exist", f"/parties/{i}/agency",
                                  hint=_suggest(party.agency, inv.agencies))

