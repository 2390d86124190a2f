"""Open-data use: how the published catalog is used, measured and published.

* :mod:`.classify` — a request (path, query, status, user agent) → the dataset and
  channel it counts for, or nothing;
* :mod:`.recorder` — counts batched in memory, flushed in one transaction off the
  request path; the daily salt that makes visitor and rate-limit keys unlinkable;
* :mod:`.store` — the usage store (sqlmodel over any SQLAlchemy URL; SQLite in WAL mode
  by default): daily counts and use cases;
* :mod:`.published` — what public.db says exists (datasets, agencies, distributions);
* :mod:`.usecases` — the "how did you use this data?" form: limits and checks;
* :mod:`.report` — aggregates for the usage page, its JSON/CSV and ``catalog usage report``;
* :mod:`.portal` — import of portal usage exports (Socrata "Asset Access");
* :mod:`catalog.site.charts` — server-rendered HTML charts;
* :mod:`.config` and :mod:`.state` — settings from the environment; one store, recorder,
  salt and limiter per Datasette instance;
* :mod:`.middleware` — the ASGI wrapper that counts; :mod:`.routes` and :mod:`.forms` —
  the usage pages, open data, download redirect, use-case form and moderation
  (all registered by ``plugins/catalog_usage.py``);
* :mod:`.cli` — ``catalog usage report`` and ``catalog usage import-portal``.

docs/usage.md describes what is counted and published.
"""
