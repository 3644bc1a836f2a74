"""multiprocUnixTestBase: one process per actor over Unix domain sockets, routed by the admin.

Written against :mod:`actorcore.plugin` and the standard library only, to show
(and test) that the base-author surface is enough; docs/plugins.md walks
through it.
"""
