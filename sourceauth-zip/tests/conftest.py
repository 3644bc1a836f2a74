"""Every test starts and ends with no zip source installed in this process."""
from __future__ import annotations

import pytest

from sourceauth_zip import importer


@pytest.fixture(autouse=True)
def _no_sources_left():
    yield
    for source in list(importer.loaded_sources().values()):
        source.unload()
