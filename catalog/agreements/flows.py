"""Who shares with whom: parties are nodes, agreements are directed edges from each
providing party to each receiving party (``role: both`` gives and receives; a pair that
flows both ways within one agreement is one two-headed edge)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

Row = Mapping[str, Any]

KIND_LABELS = {
    "state-agency": "state agency", "federal": "federal agency", "municipal": "municipality",
    "university": "university", "nonprofit": "nonprofit", "private": "private company",
    "other-state": "other state", "tribal": "tribal nation",
}


@dataclass(frozen=True)
class Node:
    key: str
    label: str  # short: the agency abbreviation, or the party's name
    name: str  # full name
    kind: str
    agency_id: str | None = None

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "kind_label": self.kind_label}


@dataclass(frozen=True)
class Flow:
    source: str
    target: str
    agreement_id: str
    title: str
    status: str
    both_ways: bool
    number: int  # the agreement's number in the picture's key

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def node_for(party: Row) -> Node:
    """A party row (``agreement_parties`` joined to ``agencies`` for ``agency_name`` and
    ``abbreviation``) as a node: one node per agency, one per outside party name."""
    if party.get("agency_id"):
        agency_id = str(party["agency_id"])
        name = party.get("agency_name") or agency_id
        return Node(f"agency:{agency_id}", party.get("abbreviation") or agency_id.upper(),
                    name, "state-agency", agency_id)
    name = str(party.get("name") or "")
    return Node(f"party:{name.lower()}", name, name, str(party.get("kind") or "other"))


def flows(agreements: Sequence[Row], parties: Mapping[str, Sequence[Row]]
          ) -> tuple[list[Node], list[Flow]]:
    """Nodes (agencies first, then outside parties, by label) and flows, numbered in the
    order of ``agreements``."""
    nodes: dict[str, Node] = {}
    out: list[Flow] = []
    for number, a in enumerate(agreements, 1):
        givers: list[str] = []
        takers: list[str] = []
        for party in parties.get(a["id"], ()):
            node = node_for(party)
            nodes.setdefault(node.key, node)
            if party.get("role") in ("provider", "both"):
                givers.append(node.key)
            if party.get("role") in ("recipient", "both"):
                takers.append(node.key)
        pairs = list(dict.fromkeys((g, t) for g in givers for t in takers if g != t))
        seen: set[tuple[str, str]] = set()
        for g, t in pairs:
            if (t, g) in seen:
                continue
            both = (t, g) in pairs
            seen.add((g, t))
            out.append(Flow(g, t, a["id"], a["title"], a["status"], both, number))
    ordered = sorted(nodes.values(), key=lambda n: (n.kind != "state-agency", n.label.lower()))
    return ordered, out


@dataclass(frozen=True)
class Partner:
    """One party a provider shares with, and the agreements that carry the flow."""

    node: Node
    both_ways: bool
    agreements: tuple[Flow, ...]


@dataclass(frozen=True)
class Provider:
    node: Node
    partners: tuple[Partner, ...]

    @property
    def count(self) -> int:
        return len({f.agreement_id for p in self.partners for f in p.agreements})


def by_provider(nodes: Sequence[Node], flows_: Sequence[Flow]) -> list[Provider]:
    """The flow map: each party that provides data, the busiest first, with whom it
    shares and under which agreements. A two-way flow is listed under both parties. It
    reads the same at 5 agreements or 500: one line per pair, no drawing to crowd."""
    by_key = {n.key: n for n in nodes}
    pairs: dict[str, dict[str, list[Flow]]] = defaultdict(lambda: defaultdict(list))
    both: set[tuple[str, str]] = set()
    for f in flows_:
        pairs[f.source][f.target].append(f)
        if f.both_ways:
            pairs[f.target][f.source].append(f)
            both.update({(f.source, f.target), (f.target, f.source)})
    out = []
    for key, partners in pairs.items():
        listed = tuple(Partner(by_key[t], (key, t) in both, tuple(fs))
                       for t, fs in sorted(partners.items(), key=lambda x: (
                           by_key[x[0]].kind != "state-agency", by_key[x[0]].label.lower())))
        out.append(Provider(by_key[key], listed))
    return sorted(out, key=lambda p: (-p.count, p.node.kind != "state-agency",
                                      p.node.label.lower()))
