"""``catalog codeowners``: review routing from the inventory itself.

A CODEOWNERS file (GitHub, GitLab and Gitea read the same format) in which each agency's
folder is owned by the stewards its ``_agency.yml`` names, and the Chief Data Officer's
office (the ``stewards`` of ``inventory/_catalog.yml``) owns what is shared by every
agency: ``standards/``, ``inventory/_agreements/``, ``inventory/_requests/`` and the
catalog file, and any agency folder whose stewards are not named yet.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..model import Agency, CatalogInfo
from ..problems import CatalogError
from ..project import AGREEMENTS_DIR, REQUESTS_DIR, Project, discover
from ..validate import load_sources
from .git import Repo

HEADER = """\
# Review routing for the inventory, written by `catalog codeowners` from each agency's
# stewards (inventory/<agency>/_agency.yml) and the Chief Data Officer's office
# (stewards in inventory/_catalog.yml). Do not edit: change those files and run
# `catalog codeowners` again. Later lines take precedence.
"""


def codeowners(project: Project, cdo: Sequence[str] = ()) -> str:
    """The CODEOWNERS text for ``project`` (``cdo`` replaces the catalog's stewards)."""
    found = discover(project)
    agencies: dict[str, Agency] = {}
    office = list(cdo)
    for source, _, model, _, _ in load_sources(
            s for s in found.sources if s.kind in ("agency", "catalog")):
        if model is None:
            raise CatalogError(f"{source.rel} cannot be read",
                               hint="run `catalog validate` for its problems")
        if isinstance(model, CatalogInfo):
            office = office or list(model.stewards)
        elif isinstance(model, Agency):
            agencies[source.folder] = model
    if not office:
        raise CatalogError("no reviewers for standards/, agreements and requests",
                           hint="name the Chief Data Officer's office under stewards: in "
                           "inventory/_catalog.yml, or pass --cdo @org/team")
    repo = Repo.open(project.root, shallow=True)
    prefix = "/" + (repo.prefix if isinstance(repo, Repo) else "")
    cdo_owners = " ".join(office)
    lines = [HEADER, f"{prefix}inventory/ {cdo_owners}"]
    for folder, agency in sorted(agencies.items()):
        if agency.stewards:
            lines.append(f"{prefix}inventory/{folder}/ {' '.join(agency.stewards)}")
        else:
            lines.append(f"# {folder}: no stewards in its _agency.yml yet; the Chief Data "
                         "Officer's office reviews")
            lines.append(f"{prefix}inventory/{folder}/ {cdo_owners}")
    lines += [f"{prefix}inventory/{AGREEMENTS_DIR}/ {cdo_owners}",
              f"{prefix}inventory/{REQUESTS_DIR}/ {cdo_owners}",
              f"{prefix}inventory/_catalog.yml {cdo_owners}",
              f"{prefix}standards/ {cdo_owners}"]
    return "\n".join(lines) + "\n"
