"""The catalog site: Datasette configuration, access control and pages.

The Datasette plugins in ``plugins/`` are thin: they register hooks and call into this
package, which is typed and tested like the rest of the catalog.
"""
