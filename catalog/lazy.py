"""Objects named ``"package.module:attribute"``, imported only when asked for: the CLI's
commands from other packages, the interop formats and the site's route handlers."""

from __future__ import annotations

import importlib
from typing import Any

from .problems import CatalogError


def load(spec: str, *, what: str = "") -> Any:
    """The object ``spec`` (``"package.module:attribute"``) names. A malformed spec, a
    missing module or attribute, or a dependency the module needs that is not installed
    raises :class:`CatalogError`; ``what`` names the user of the dependency in that error."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute.isidentifier():
        raise CatalogError(f"{spec!r} is not a 'package.module:attribute' name")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if module_name == missing or module_name.startswith(missing + "."):
            raise CatalogError(f"{spec!r}: there is no module {module_name!r}") from None
        raise CatalogError(f"{what or repr(spec)} needs {missing}, which is not installed",
                           hint=f"pip install {missing}") from None
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise CatalogError(f"{spec!r}: module {module_name!r} has no {attribute!r}") from None
