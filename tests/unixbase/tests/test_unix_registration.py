"""The Unix-socket test base registers as a third party's base would."""
from __future__ import annotations

from importlib import metadata

import pytest


def test_the_unix_test_base_registers_through_its_entry_point():
    """As a third party would: an entry point of the ``actorcore`` group."""
    try:
        dist = metadata.distribution("actorbase-unixtest")
    except metadata.PackageNotFoundError:
        pytest.skip("actorbase-unixtest is not installed (pip install -e tests/unixbase)")
    points = [ep for ep in dist.entry_points if ep.group == "actorcore"]
    assert [(ep.name, ep.value) for ep in points] == [("unixtest", "actorbase_unixtest.plugin")]
    from actorcore._core import plugins

    info = plugins.registry().get("multiprocUnixTestBase")
    assert info is not None and info.distribution == "actorbase-unixtest"
    assert info.multiprocess and info.recovers_unread and not info.authenticated
