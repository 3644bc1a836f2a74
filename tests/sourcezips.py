"""Source archives built at test time (no actors here): a small app in versions,
and the Source Authority that lets a test load them."""
from __future__ import annotations

import hashlib
from pathlib import Path

from sourceauth_zip import AllowSourceHashes, HashListAuthority, SourceAuthorityReady, build_archive

from .helpers import WAIT

ACTORS = '''
from actorcore.actors import Actor
from app.version import VERSION
from . import helper
import app.sub.deep


class Greeter(Actor):
    def receiveMessage(self, message, sender):
        if message == "version":
            self.send(sender, VERSION)
        elif message == "parts":
            self.send(sender, [helper.NAME, app.sub.deep.NAME, __import__("app.helper", fromlist=["x"]).NAME])
        elif message == "child":
            # A string class name inside a source resolves within that source.
            child = self.createActor("app.actors.Child")
            self.send(child, ("version-to", sender))
        elif message == "child-by-class":
            child = self.createActor(Child)
            self.send(child, ("version-to", sender))


class Child(Actor):
    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[0] == "version-to":
            self.send(message[1], "child " + VERSION)
'''

HELPER = '''
import importlib

NAME = "helper"


def deep_name():
    return importlib.import_module("app.sub.deep").NAME
'''


def app_files(version: str) -> dict[str, str]:
    """The files of the test app at ``version``."""
    return {
        "app/__init__.py": "",
        "app/version.py": f"VERSION = {version!r}\n",
        "app/helper.py": HELPER,
        "app/actors.py": ACTORS,
        "app/sub/deep.py": "import app.helper\nNAME = 'deep'\n",  # circular through app.helper
    }


def app_zip(version: str) -> bytes:
    return build_archive(app_files(version))


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def trust(asys, *hashes):
    """A HashListAuthority accepting ``hashes``, registered."""
    auth = asys.createActor(HashListAuthority)
    assert isinstance(asys.ask(auth, AllowSourceHashes(list(hashes)), WAIT), SourceAuthorityReady)
    return auth


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


BARN_ACTORS = '''
from actorcore.actors import Actor


class Cow(Actor):
    def receiveMessage(self, message, sender):
        if message == "import-missing":
            try:
                import barn.not_in_the_source  # noqa: F401
            except ImportError as exc:
                self.send(sender, (type(exc).__name__, str(exc)))
        else:
            self.send(sender, "moo")
'''

PIGLET = '''
from actorcore.actors import Actor
from chicken import Cluck          # written for Python 2: means barn.chicken
import yard.pen                    # multi-level, and circular through barn.piglet


class Piglet(Actor):
    def receiveMessage(self, message, sender):
        self.send(sender, f"oink {Cluck} {yard.pen.NAME} {yard.pen.neighbour()}")
'''


def barn_files() -> dict[str, str]:
    """A source whose modules do old-style imports, one of them broken."""
    return {
        "barn/__init__.py": "",
        "barn/chicken.py": "Cluck = 'cluck'\n",
        "barn/cow.py": BARN_ACTORS,
        "barn/piglet.py": PIGLET,
        "barn/broken.py": "def trough(:\n    pass\n",
        "yard/__init__.py": "",
        "yard/pen.py": (
            "import barn.piglet\nNAME = 'pen'\n"
            "def neighbour():\n    return __import__('barn.piglet', fromlist=['Piglet']).Piglet.__name__\n"
        ),
    }
