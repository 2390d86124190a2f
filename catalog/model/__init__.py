"""Pydantic models of the YAML files *as written* (the compiled tables are in
``catalog.compile.tables``)."""

from .agency import Agency, CatalogInfo
from .agreement import Agreement
from .dataset import AccessLevel, Dataset, Visibility
from .request import DataRequest
from .standards import Classification, Element, Suppression, Vocabularies

__all__ = [
    "AccessLevel", "Agency", "CatalogInfo", "DataRequest", "Agreement", "Classification",
    "Dataset", "Element",
    "Suppression", "Visibility", "Vocabularies",
]
