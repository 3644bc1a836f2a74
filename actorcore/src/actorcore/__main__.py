"""``python -m actorcore``: the same as the ``actorcore`` command."""

from __future__ import annotations

from .cli import main

raise SystemExit(main())
