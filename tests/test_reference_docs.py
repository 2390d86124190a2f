"""docs/descriptor.md's generated tables match the models."""

from catalog.docgen import splice

from .conftest import REPO


def test_descriptor_reference_is_current() -> None:
    text = (REPO / "docs" / "descriptor.md").read_text(encoding="utf-8")
    assert text == splice(text), "run: python -m catalog.docgen"
