"""Caching (logic and policy: catalog.site.caching; docs/performance-serving.md).

* an ASGI wrapper: ``Cache-Control: public`` and an ETag on anonymous answers that only
  a new build changes, 304 for a matching ``If-None-Match``, ``private, no-store`` on
  every other method. It is the innermost wrapper (``tryfirst``), so the usage counter
  around it still sees a 304 as a use of the data;
* the ``{% cache "name" %}`` template tag for fragments of public pages.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl

from catalog.site.caching import FragmentCache, http_cache


@hookimpl(tryfirst=True)
def asgi_wrapper(datasette: Any) -> Any:
    return lambda app: http_cache(app, datasette)


@hookimpl
def prepare_jinja2_environment(env: Any) -> None:
    env.add_extension(FragmentCache)
