"""Every actor the tests use, in one place, by theme; test modules import them
from here and never from each other. Actor processes and the programs the
tests start import them by module path (``tests.actors.basic.Echo``), so
these modules import nothing from the test modules."""
