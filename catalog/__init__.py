"""State metadata catalog and high-value data inventory.

Pipeline: :mod:`catalog.load` → :mod:`catalog.validate` → :mod:`catalog.compile`
→ Datasette (``catalog serve``). See docs/architecture.md.
"""

__version__ = "0.1.0"
