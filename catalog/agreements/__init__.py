"""Data-sharing agreements beyond validation: the lifecycle (what falls due when), the
DCF 5-4 review checklist, who shares with whom (a graph and its SVG picture), an
iCalendar feed of renewal and review dates, and the ``catalog agreements`` commands.

Every module works on plain values (a compiled row or a model turned into
:class:`~catalog.agreements.lifecycle.Dates`), so the site, which reads only the
actor's database, and the command line, which reads the YAML, share one logic.
"""
