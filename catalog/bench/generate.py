"""A synthetic but valid inventory at any scale, for benchmarks and load tests.

Deterministic for a given seed. Text lengths follow the sample inventory (descriptions
of a few sentences, field descriptions of one), fields follow common-element standards
at the sample's rate, a fifth of the datasets are non-public with PII and a
personal-data policy, and agreements link datasets across agencies.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

WORDS = (
    "annual monthly town county program service client case report record enrollment "
    "permit license inspection facility provider payment claim visit admission discharge "
    "referral assessment outcome measure indicator rate count total status category type "
    "region district school student worker employer business grant loan parcel address "
    "road crash vehicle station sample water air flood energy housing health child family "
    "youth adult senior veteran benefit eligibility application decision review hearing"
).split()

STANDARD_FIELDS = [
    ("town", "string", "ct-town"), ("zip_code", "string", "zip-code"),
    ("county", "string", "ct-county"), ("race_ethnicity", "string", "race-ethnicity"),
    ("preferred_language", "string", "preferred-language"), ("sex", "string", "sex"),
    ("report_date", "date", "date"), ("fiscal_year", "integer", "fiscal-year"),
    ("latitude", "number", "latitude"), ("longitude", "number", "longitude"),
    ("age", "integer", "age-years"), ("street_address", "string", "street-address"),
]
PLAIN_TYPES = ("string", "integer", "number", "date", "boolean")
THEMES = ("education-workforce", "healthcare-service-delivery", "fraud-waste-abuse",
          "substance-abuse-addiction", "resilience", "traffic-safety", "economic-development",
          "land-use")
FREQUENCIES = ("R/P1D", "R/P1W", "R/P1M", "R/P3M", "R/P1Y", "irregular")
DEMOGRAPHIC = {"race-ethnicity", "preferred-language", "sex", "age-years"}


@dataclass(frozen=True)
class Scale:
    agencies: int = 20
    datasets: int = 1000
    fields: int = 40
    agreements: int = 50
    seed: int = 18175


def _sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def _text(rng: random.Random, sentences: int, words: int = 14) -> str:
    return " ".join(_sentence(rng, rng.randint(words - 4, words + 4)) for _ in range(sentences))


def _dump(path: Path, data: dict, schema: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True,
                     width=100)
    path.write_text(f"# yaml-language-server: $schema={schema}\n{body}", encoding="utf-8")


def _fields(rng: random.Random, count: int, pii: bool) -> list[dict]:
    from ..validate.pii import by_name  # stewards mark what looks like personal data

    fields: list[dict] = []
    used: set[str] = set()
    for name, ftype, standard in rng.sample(STANDARD_FIELDS, k=min(6, count // 4)):
        if standard == "street-address" and not pii:
            continue
        f: dict[str, object] = {
            "name": name, "type": ftype, "title": name.replace("_", " ").title(),
            "description": _sentence(rng, rng.randint(8, 16)), "standard": standard}
        if standard in DEMOGRAPHIC:
            f["demographic"] = True
        if standard == "street-address":
            f["pii"] = True
        fields.append(f)
        used.add(name)
    if pii:
        fields.append({"name": "person_name", "type": "string", "pii": True,
                       "description": "Full name of the person."})
        used.add("person_name")
    while len(fields) < count:
        name = "_".join(rng.sample(WORDS, 2))
        if name in used or by_name(name):
            continue
        used.add(name)
        fields.append({"name": name, "type": rng.choice(PLAIN_TYPES),
                       "title": name.replace("_", " ").title(),
                       "description": _sentence(rng, rng.randint(8, 20))})
    return fields[:count]


def generate(root: Path, scale: Scale, standards_from: Path) -> None:
    """Write a project at ``root``: standards copied from ``standards_from``."""
    rng = random.Random(scale.seed)
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(standards_from, root / "standards")
    inv = root / "inventory"
    agencies = [f"ag{i:03d}" for i in range(scale.agencies)]
    for agency in agencies:
        _dump(inv / agency / "_agency.yml", {
            "id": agency, "name": f"Department of {_sentence(rng, 2)[:-1]} {agency}",
            "abbreviation": agency.upper(),
            "data_officer": {"name": "Data Officer", "email": f"officer.{agency}@ct.gov"},
        }, "../../docs/schema/agency.schema.json")
    ids: list[str] = []
    for i in range(scale.datasets):
        agency = agencies[i % len(agencies)]
        dataset_id = f"{agency}-dataset-{i:05d}"
        ids.append(dataset_id)
        private = i % 5 == 0
        d: dict = {
            "id": dataset_id, "title": _sentence(rng, rng.randint(4, 9))[:-1],
            "description": _text(rng, rng.randint(2, 5)), "agency": agency,
            "keywords": rng.sample(WORDS, 4), "themes": [rng.choice(THEMES)],
            "high_value": {"value": True, "reason": _sentence(rng, 10)},
            "steward": {"name": "Data Steward", "email": f"steward.{agency}@ct.gov"},
            "access": {"level": "non-public" if private else "public",
                       "visibility": "listed" if private and i % 2 else
                       ("hidden" if private else "public"),
                       "api": bool(i % 3), "bulk_download": True},
            "classification": {"level": "confidential" if private else "public",
                               "assessed_on": (dt.date.today() - dt.timedelta(days=30))
                               .isoformat(), "assessed_by": "Data Steward"},
            "schema": {"fields": _fields(rng, scale.fields, pii=private)},
            "lifecycle": {"update_frequency": rng.choice(FREQUENCIES),
                          "modified": f"2025-{1 + i % 12:02d}-15",
                          "last_reviewed": "2025-06-01"},
        }
        if private:
            d["access"]["rights"] = "Confidential under state law."
            d["personal_data"] = {
                "purpose": _sentence(rng, 10), "access_procedure": _sentence(rng, 12),
                "contact": {"name": "Privacy Officer", "email": f"privacy.{agency}@ct.gov"}}
        else:
            d["license"] = "cc0-1.0"
            d["distributions"] = [{
                "id": "csv", "title": "CSV", "kind": "download", "media_type": "text/csv",
                "url": f"https://data.ct.gov/api/views/{i:04d}-bench/rows.csv"}]
        _dump(inv / agency / f"{dataset_id}.yml", d, "../../docs/schema/dataset.schema.json")
    for j in range(scale.agreements):
        a, b = rng.sample(agencies, 2)
        _dump(inv / "_agreements" / f"agreement-{j:04d}.yml", {
            "id": f"agreement-{j:04d}", "title": _sentence(rng, 6)[:-1], "status": "draft",
            "parties": [{"agency": a, "role": "provider"}, {"agency": b, "role": "recipient"}],
            "purpose": _text(rng, 2), "term": {"start": "2025-01-01", "end": "2027-12-31"},
            "summary_of_terms": _text(rng, 2), "datasets": rng.sample(ids, 2),
            "risks_and_benefits": _text(rng, 2), "racial_justice_assessment": _text(rng, 2),
            "equity_conformance": _text(rng, 1),
            "protections": {"risk_mitigation": _sentence(rng, 10),
                            "data_security": _sentence(rng, 10), "privacy": _sentence(rng, 10),
                            "client_data_use": _sentence(rng, 10)},
        }, "../../docs/schema/agreement.schema.json")
