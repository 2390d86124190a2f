"""Resolved inventory → table rows (plain dicts keyed by table name), and the public
subset of those rows.

The public subset is decided here, once, by construction: a row reaches ``public.db`` only
if :func:`public_rows` lets it through.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from ..model.dataset import Visibility
from ..model.standards import Element
from . import layout as L

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping

    from ..governance.scorecard import Score
    from ..model import Agency, Agreement, Dataset
    from ..problems import Problem
    from ..validate import Entry, Inventory
    from ..validate.conformance import Conformance

Rows = dict[str, list[dict[str, Any]]]
RACE_STANDARDS = {"race-ethnicity", "race-1997", "ethnicity-1997"}
# extensions the data.json export writes back (catalog.interop.datajson)
DATAJSON_KEYS = ("datajson", "datajson_distribution")
# of those, what a listed (summary-only) dataset shows: who publishes it, under which
# bureau and program, its themes and contact; never distributions, licence or coverage
LISTED_DATAJSON = frozenset({"@type", "bureauCode", "programCode", "publisher", "theme",
                             "contactPoint"})


def _json(value: Any) -> str | None:
    if value in (None, {}, []):
        return None
    return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)


def _agency_row(a: "Agency", source: str) -> dict[str, Any]:
    plan = a.open_data_plan
    officer = a.data_officer
    return dict(
        id=a.id, name=a.name, abbreviation=a.abbreviation, description=a.description,
        website=a.website, data_officer_name=officer.name, data_officer_title=officer.title,
        data_officer_email=officer.email, data_officer_phone=officer.phone,
        odap_url=plan.url if plan else None, odap_published_on=plan.published_on if plan else None,
        odap_summary=plan.summary if plan else None,
        inventory_submitted_on=a.inventory_submitted_on,
        staff_accounts=json.dumps(a.staff_accounts) if a.staff_accounts else None,
        source_file=source,
    )


def _dataset_row(d: "Dataset", source: str, conf: "Mapping[str, Conformance]",
                 base_url: str, personal: "Collection[str]") -> dict[str, Any]:
    fields = d.schema_.fields if d.schema_ else []
    conformance = [conf.get(f.name) for f in fields]
    contact = d.contact or d.steward
    pd, pa, life = d.personal_data, d.predictive_analytics, d.lifecycle
    disc, cls = d.disclosure, d.classification
    assessed = pa.assessment.model_dump(exclude_none=True) if pa and pa.assessment else {}
    return dict(
        id=d.id, identifier=d.identifier or f"{base_url}/datasets/{d.id}",
        agency_id=d.agency, title=d.title, description=d.description,
        asset_type=d.asset_type, access_level=d.access.level.value,
        visibility=d.access.effective_visibility.value, high_value=d.high_value.value,
        high_value_reason=d.high_value.reason, keywords=", ".join(d.keywords) or None,
        themes=", ".join(d.themes) or None,
        steward_name=d.steward.name, steward_title=d.steward.title, steward_email=d.steward.email,
        custodian_name=d.custodian.name if d.custodian else None,
        custodian_email=d.custodian.email if d.custodian else None,
        contact_name=contact.name, contact_email=contact.email,
        # not a column: whether the contact is the steward's (withheld when listed)
        contact_is_steward=d.contact is None,
        classification=cls.level if cls else None,
        classification_assessed_on=cls.assessed_on if cls else None,
        classification_assessed_by=cls.assessed_by if cls else None,
        rights=d.access.rights, api=d.access.api, bulk_download=d.access.bulk_download,
        state_owned=d.access.state_owned, owner=d.access.owner, license=d.license,
        landing_page=d.landing_page,
        update_frequency=life.update_frequency if life else None,
        temporal_start=life.temporal.start if life and life.temporal else None,
        temporal_end=life.temporal.end if life and life.temporal else None,
        spatial=life.spatial if life else None,
        granularity=disc.granularity if disc else None,
        suppression_policy=disc.suppression_policy if disc else None,
        aggregates_confidential=disc.aggregates_confidential if disc else False,
        source_system=life.source_system if life else None,
        retention=life.retention if life else None, issued=life.issued if life else None,
        modified=life.modified if life else None,
        modified_source="descriptor" if life and life.modified else None,
        last_reviewed=life.last_reviewed if life else None,
        personal_data_purpose=pd.purpose if pd else None,
        personal_data_legal_authority=pd.legal_authority if pd else None,
        personal_data_access_procedure=pd.access_procedure if pd else None,
        personal_data_contact_name=pd.contact.name if pd else None,
        personal_data_contact_email=pd.contact.email if pd else None,
        personal_data_consent=pd.consent if pd else None,
        predictive_used=bool(pa and pa.used),
        predictive_description=pa.description if pa else None,
        predictive_decision=pa.decision if pa else None,
        predictive_reviewed_by=pa.reviewed_by if pa else None,
        predictive_reviewed_on=pa.reviewed_on if pa else None,
        predictive_assessment_complete=len(assessed) == 5,
        odap_status=d.open_data_plan.status if d.open_data_plan else None,
        quality_notes=d.quality.notes if d.quality else None,
        known_bias=d.quality.known_bias if d.quality else None,
        limitations=d.quality.limitations if d.quality else None,
        field_count=len(fields),
        pii_field_count=sum(f.name in personal for f in fields),
        demographic_field_count=sum(f.demographic for f in fields),
        standard_field_count=sum(1 for f in fields if f.standard),
        conformant_field_count=sum(1 for c in conformance if c and c.status == "conformant"),
        has_race_ethnicity=any(f.standard in RACE_STANDARDS for f in fields),
        sample=d.sample, source_file=source, extensions_json=_json(d.extensions),
        datajson_json=_json({k: v for k, v in d.extensions.items() if k in DATAJSON_KEYS}),
    )


def _agreement_rows(entry: "Entry[Agreement]", inv: "Inventory", rows: Rows) -> None:
    """An agreement's rows, with what the validator derives of it: whether it involves
    identifiable client data, which policy packs cover it, and whether DCF 5-4 requires a
    consent plan and the IS Governance approval."""
    from ..validate import agreements as rules
    from ..validate.packs import packs_for

    a, source = entry.model, entry.source.rel
    p = a.protections
    plan = a.consent_plan
    packs = [pk.id for pk in packs_for(entry, inv, "agreement")]
    dcf = rules.DCF_PACK in packs
    why, others = rules.consent_required(entry, inv)
    rows["agreements"].append(dict(
        id=a.id, title=a.title, status=a.status.value, public=a.public, purpose=a.purpose,
        term_start=a.term.start, term_end=a.term.end, renewal=a.term.renewal,
        summary_of_terms=a.summary_of_terms, legal_authority=a.legal_authority,
        risks_and_benefits=a.risks_and_benefits,
        racial_justice_assessment=a.racial_justice_assessment,
        equity_conformance=a.equity_conformance, risk_mitigation=p.risk_mitigation,
        data_security=p.data_security, privacy=p.privacy, client_data_use=p.client_data_use,
        identifiable_client_data=bool(rules.identifiable(entry, inv)),
        policy_packs=" ".join(packs),
        consent_required=dcf and bool(why and others),
        governance_required=dcf and bool(rules.governance_required(entry, inv)),
        consent_plan=plan.description if plan else None,
        consent_approved_by=plan.approved_by if plan else None,
        consent_approved_on=plan.approved_on if plan else None,
        ongoing_review_frequency=a.ongoing_review.frequency if a.ongoing_review else None,
        ongoing_review_next_due=a.ongoing_review.next_due if a.ongoing_review else None,
        ongoing_review_last_done=a.ongoing_review.last_done if a.ongoing_review else None,
        notes=a.notes, source_file=source,
    ))
    for i, party in enumerate(a.parties):
        rows["agreement_parties"].append(dict(
            agreement_id=a.id, position=i, agency_id=party.agency,
            name=party.name or party.agency or "", kind=party.kind, role=party.role))
    for dataset_id in dict.fromkeys(a.datasets):
        rows["agreement_datasets"].append(dict(agreement_id=a.id, dataset_id=dataset_id))
    for r in a.reviews:
        rows["agreement_reviews"].append(dict(
            agreement_id=a.id, office=r.office, reviewer=r.by, date=r.date,
            archive_ref=r.archive_ref, summary=r.summary))
    for ap in a.approvals:
        rows["agreement_approvals"].append(dict(
            agreement_id=a.id, kind=ap.kind, approver=ap.by, date=ap.date,
            reference=ap.reference))


def _standard_rows(inv: "Inventory", rows: Rows) -> None:
    std = inv.standards
    for element_id, e in sorted(std.elements.items()):
        values = std.values.get(element_id) or []
        rows["standards"].append(_element_row(e, len(values)))
        for i, v in enumerate(values):
            rows["standard_values"].append(dict(
                standard_id=element_id, position=i, code=v.code, label=v.label,
                description=v.description, attributes_json=_json(v.attributes)))
    for lv in std.levels.values():
        rows["classification_levels"].append(dict(
            id=lv.id, title=lv.title, rank=lv.rank, max_access_level=lv.max_access_level.value,
            description=lv.description, handling="\n".join(lv.handling) or None))
    for sp in std.policies.values():
        rows["suppression_policies"].append(sp.model_dump(include=set(
            L.COLUMNS["suppression_policies"])))
    if std.vocabularies:
        for t in std.vocabularies.themes:
            rows["themes"].append(dict(id=t.id, title=t.title, description=t.description))
        for vocab in ("themes", "frequencies", "licenses", "granularities", "asset_types"):
            for t in getattr(std.vocabularies, vocab):
                rows["vocabulary_terms"].append(dict(
                    vocabulary=vocab, id=t.id, title=t.title, description=t.description,
                    url=t.url, same_as=_json(t.same_as), open=t.open, rank=t.rank))


def _element_row(e: Element, value_count: int) -> dict[str, Any]:
    return dict(
        id=e.id, title=e.title, category=e.category, status=e.status,
        superseded_by=e.superseded_by, description=e.description, guidance=e.guidance,
        authority_name=e.authority.name if e.authority else None,
        authority_url=e.authority.url if e.authority else None, types=", ".join(e.types),
        format=e.format, pattern=e.pattern, minimum=e.minimum, maximum=e.maximum,
        match=e.match, multiple=e.multiple, value_count=value_count,
        examples=", ".join(str(x) for x in e.examples) or None,
    )


def dataset_rows(d: "Dataset", source: str, conf: "Mapping[str, Conformance]",
                 base_url: str, pii: "Collection[str]" = ()) -> Rows:
    """The rows of one descriptor in the dataset-scoped tables (:data:`DATASET_TABLES`).
    ``pii`` names the fields that are personal data (derived: marked, or detected and
    not waived). Field ids count from 1 here; the build renumbers them
    (:func:`renumber`)."""
    rows: Rows = defaultdict(list)
    dataset_id = d.id
    personal = set(pii) | {f.name for f in (d.schema_.fields if d.schema_ else []) if f.pii}
    rows["datasets"].append(_dataset_row(d, source, conf, base_url, personal))
    for i, f in enumerate(d.schema_.fields if d.schema_ else []):
        field_id = i + 1
        c = conf.get(f.name)
        rows["fields"].append(dict(
            id=field_id, dataset_id=dataset_id, position=i, name=f.name, title=f.title,
            type=f.type, format=f.format, description=f.description, standard=f.standard,
            conformance=c.status if c else None, pii=f.name in personal,
            demographic=f.demographic, internal=f.internal, is_count=f.count, unit=f.unit,
            waivers_json=_json(dict(f.waivers) or None),
            constraints_json=_json(f.constraints.model_dump(exclude_none=True)
                                   if f.constraints else None),
            example=None if f.example is None else str(f.example)))
        if c:
            rows["field_conformance"].append(dict(
                field_id=field_id, dataset_id=dataset_id, field_name=f.name,
                standard=c.standard, status=c.status, details="; ".join(c.details) or None))
    for i, dist in enumerate(d.distributions):
        rows["distributions"].append(dict(
            id=f"{dataset_id}/{dist.id}", dataset_id=dataset_id, position=i,
            distribution_id=dist.id, title=dist.title, kind=dist.kind, url=dist.url,
            media_type=dist.media_type, format=dist.format, description=dist.description,
            conforms_to=dist.conforms_to, described_by=dist.described_by,
            described_by_type=dist.described_by_type))
    for i, kw in enumerate(dict.fromkeys(d.keywords)):
        rows["keywords"].append(dict(dataset_id=dataset_id, position=i, keyword=kw))
    for theme in dict.fromkeys(d.themes):
        rows["dataset_themes"].append(dict(dataset_id=dataset_id, theme_id=theme))
    plan = d.open_data_plan
    if plan:
        rows["access_plans"].append(dict(
            dataset_id=dataset_id, agency_id=d.agency, status=plan.status,
            priority=plan.priority, target_release=plan.target_release,
            released_on=plan.released_on, released_url=plan.released_url, notes=plan.notes))
    return rows


def renumber(rows: Rows, offset: int) -> int:
    """Shift the field ids of one descriptor's rows by ``offset``; returns the last id."""
    for f in rows.get("fields", ()):
        f["id"] += offset
    for c in rows.get("field_conformance", ()):
        c["field_id"] += offset
    return offset + len(rows.get("fields", ()))


def shared_rows(inv: "Inventory", scores: "Iterable[Score]", problems: "Iterable[Problem]"
                ) -> Rows:
    """Every row outside the dataset-scoped tables: standards, agencies, agreements,
    requests, scorecards and the problems of the build."""
    rows: Rows = defaultdict(list)
    _standard_rows(inv, rows)
    for _, agency in sorted(inv.agencies.items()):
        rows["agencies"].append(_agency_row(agency.model, agency.source.rel))
    for _, agreement in sorted(inv.agreements.items()):
        _agreement_rows(agreement, inv, rows)
    from ..validate.requests import due_date

    for _, request in sorted(inv.requests.items()):
        r = request.model
        due = due_date(request, inv)
        rows["data_requests"].append(dict(
            foia=r.foia, due_on=due[0] if due else None, due_basis=due[1] if due else None,
            vetting_by=r.vetting.by if r.vetting else None,
            vetting_decision=r.vetting.decision if r.vetting else None,
            released_on=r.release.date if r.release else None,
            release_level=r.release.level if r.release else None,
            id=r.id, title=r.title, received_on=r.received_on, requester_kind=r.requester.kind,
            requester_name=r.requester.name, requester_agency=r.requester.agency,
            description=r.description, status=r.status, handled_by=r.handled_by,
            responded_on=r.responded_on,
            turnaround_days=(r.responded_on - r.received_on).days if r.responded_on else None,
            outcome=r.outcome, agreement_id=r.agreement, notes=r.notes,
            source_file=request.source.rel))
        for dataset_id in dict.fromkeys(r.datasets):
            rows["data_request_datasets"].append(dict(request_id=r.id, dataset_id=dataset_id))
    from ..governance.due import due_items
    from ..governance.scorecard import METRICS, targets

    rows["due_items"].extend(i.row() for i in due_items(inv))
    goal, margin = targets(inv)
    for i, m in enumerate(METRICS):
        rows["scorecard_metrics"].append(dict(
            id=m.id, position=i, title=m.title, source=m.source, description=m.description,
            target=goal[m.id], amber_below=round(max(0.0, goal[m.id] - margin), 4)))
    for score in scores:
        rows["scorecards"].append(dict(scope=score.scope, metric=score.metric,
                                       numerator=score.numerator,
                                       denominator=score.denominator, value=score.value))
    for p in problems:
        rows["problems"].append(dict(
            file=p.file, line=p.line, col=p.column, pointer=p.pointer, code=p.code,
            severity=p.severity.value, message=p.message, hint=p.hint or None,
            field=p.field or None, dated=p.dated))
    return rows


LISTED_COLUMNS = {"id", "identifier", "agency_id", "title", "description", "asset_type",
                  "access_level",
                  "visibility", "high_value", "keywords", "themes", "contact_name",
                  "contact_email", "rights", "source_file", "odap_status", "state_owned",
                  "owner", "modified", "modified_source", "datajson_json"}


# keys of rows that are no column: whether a dataset's contact is its steward's (a listed
# dataset withholds the steward's columns, so that fallback too)
NOT_STORED = {"datasets": frozenset({"contact_is_steward"})}

DATASET_TABLES = ("datasets", "fields", "field_conformance", "distributions", "keywords",
                  "dataset_themes", "access_plans")


def public_rows(rows: Rows, known: "Collection[str] | None" = None) -> Rows:
    """The subset of ``rows`` the public may see; staff-only columns set to NULL.

    ``rows`` may be a whole database or one descriptor's rows (:func:`dataset_rows`);
    ``known``, the ids of datasets the public may know exist, defaults to those among
    ``rows`` and decides which agreement ↔ dataset links are shown."""
    visibility = {d["id"]: d["visibility"] for d in rows.get("datasets", ())}
    full = {k for k, v in visibility.items() if v == Visibility.PUBLIC.value}
    if known is None:
        known = full | {k for k, v in visibility.items() if v == Visibility.LISTED.value}
    public_agreements = {a["id"] for a in rows.get("agreements", ()) if a["public"]}
    out: Rows = defaultdict(list)
    internal_fields = {f["id"] for f in rows.get("fields", ()) if f["internal"]}
    keep = {
        "datasets": lambda r: r["id"] in known,
        "fields": lambda r: r["dataset_id"] in full and not r["internal"],
        "field_conformance": lambda r: r["dataset_id"] in full
        and r["field_id"] not in internal_fields,
        "distributions": lambda r: r["dataset_id"] in full,
        "keywords": lambda r: r["dataset_id"] in known,
        "dataset_themes": lambda r: r["dataset_id"] in known,
        "access_plans": lambda r: r["dataset_id"] in known,
        "agreements": lambda r: r["id"] in public_agreements,
        "agreement_parties": lambda r: r["agreement_id"] in public_agreements,
        "agreement_datasets": lambda r: r["agreement_id"] in public_agreements
        and r["dataset_id"] in known,
    }
    public_fields: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in rows.get("fields", ()):
        if not f["internal"] and f["dataset_id"] in full:
            public_fields[f["dataset_id"]].append(f)
    # public.db reads as if non-public fields never existed: field ids count public
    # fields only (from 1, in order; the build offsets them), positions have no gaps
    field_ids = {f["id"]: i for i, f in enumerate(
        (f for fs in public_fields.values() for f in fs), start=1)}
    positions = {f["id"]: p for fs in public_fields.values() for p, f in enumerate(fs)}
    for name, table_rows in rows.items():
        if name in STAFF_TABLES:
            continue
        hidden = HIDDEN_COLUMNS[name]
        test = keep.get(name, lambda r: True)
        for row in table_rows:
            if not test(row):
                continue
            row = {k: (None if k in hidden else v) for k, v in row.items()} if hidden \
                else dict(row)
            if name == "datasets":
                if row["id"] in full:
                    row.update(_field_counts(public_fields[row["id"]]))
                else:  # listed: existence and summary only
                    defaults = L.DEFAULTS[name]
                    steward = row.get("contact_is_steward", False)
                    row = {k: (v if k in LISTED_COLUMNS else defaults.get(k))
                           for k, v in row.items()}
                    row["datajson_json"] = _listed_datajson(row.get("datajson_json"))
                    if steward:  # the steward's columns are withheld: so is the fallback
                        row["contact_name"] = row["contact_email"] = None
            elif name == "fields":
                row["id"], row["position"] = field_ids[row["id"]], positions[row["id"]]
            elif name == "field_conformance":
                row["field_id"] = field_ids[row["field_id"]]
            out[name].append(row)
    return out


def _listed_datajson(text: str | None) -> str | None:
    """The part of a dataset's data.json extensions a listed record may show."""
    if not text:
        return None
    kept = json.loads(text).get("datajson") or {}
    return _json({"datajson": {k: v for k, v in kept.items() if k in LISTED_DATAJSON}}
                 if any(k in LISTED_DATAJSON for k in kept) else None)


def _field_counts(shown: "list[dict[str, Any]]") -> dict[str, Any]:
    """A public dataset row's figures about its data dictionary, from its public fields
    only (the inventory's count internal fields too)."""
    return dict(
        field_count=len(shown),
        demographic_field_count=sum(bool(f["demographic"]) for f in shown),
        standard_field_count=sum(1 for f in shown if f["standard"]),
        conformant_field_count=sum(1 for f in shown if f["conformance"] == "conformant"),
        has_race_ethnicity=any(f["standard"] in RACE_STANDARDS for f in shown))


STAFF_TABLES = set(L.STAFF_ONLY_TABLES)
HIDDEN_COLUMNS = {name: set(columns) for name, columns in L.STAFF_ONLY_COLUMNS.items()}
