"""The transport-independent runtime shared by every multiprocess base.

``client`` runs in the user's process, ``admin`` in the admin process,
``manager`` in each actor process; they speak the messages of ``protocol``
through whatever :class:`actorcore._core.transport.Transport` the base provides.
"""
