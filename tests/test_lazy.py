"""catalog.lazy.load: the one loader of "package.module:attribute" names."""

import pytest

from catalog.lazy import load
from catalog.problems import CatalogError
from catalog.site.routes import ROUTES


def test_a_name_loads_its_object():
    from catalog.problems import Problem
    assert load("catalog.problems:Problem") is Problem


@pytest.mark.parametrize("spec, words", [
    ("catalog.problems", "is not a 'package.module:attribute' name"),
    (":Problem", "is not a 'package.module:attribute' name"),
    ("catalog.no_such_module:x", "there is no module 'catalog.no_such_module'"),
    ("catalog.problems:NoSuchThing", "has no 'NoSuchThing'"),
])
def test_a_bad_name_is_a_clear_error(spec, words):
    with pytest.raises(CatalogError) as caught:
        load(spec)
    assert words in str(caught.value)


def test_every_route_handler_and_format_resolves():
    from catalog.interop import EXPORTS, IMPORTS
    for route in ROUTES:
        assert callable(route.resolve()), route.name
    for fmt in [*EXPORTS.values(), *IMPORTS.values()]:
        assert callable(fmt.load()), fmt.name


def test_a_missing_dependency_names_itself_and_its_user(tmp_path, monkeypatch):
    (tmp_path / "needs_absent.py").write_text("import absent_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(CatalogError) as caught:
        load("needs_absent:anything", what="format 'x'")
    assert "format 'x' needs absent_dependency_xyz, which is not installed" in str(caught.value)
    assert caught.value.hint == "pip install absent_dependency_xyz"
