"""Governance reports and checks over the inventory and its data files.

* ``scorecard`` / ``scorecard_table``: State Data Plan scorecards per agency
  (``catalog scorecards``);
* ``suppression`` (with ``totals``): the small-number suppression check of published
  aggregates (``catalog check-suppression``, ``docs/suppression.md``).

Nothing is imported here, so that importing one module does not load the others'
dependencies (the suppression check needs Frictionless).
"""
