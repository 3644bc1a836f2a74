"""What the ``start``, ``status``, ``shutdown`` and ``metrics`` commands are
made of (docs/operations.md): reaching a running system, drawing its
snapshot (:mod:`actorcore._core.survey`) for people, exporting it for
Prometheus. Plain standard library: the command works with the core alone."""
