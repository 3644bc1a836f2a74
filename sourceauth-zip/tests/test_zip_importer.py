"""sourceauth_zip.importer: imports inside a source, isolation by hash, unloading."""
from __future__ import annotations

import builtins
import pickle
import sys
import traceback

import pytest

from sourceauth_zip import build_archive
from sourceauth_zip.importer import PREFIX, install, loaded_sources, prefix_for

H1, H2 = "1" * 32, "2" * 32

APP = {
    "app/__init__.py": "VERSION = {v!r}\n",
    "app/absolute.py": "import app.deep.inner.leaf\nVALUE = app.deep.inner.leaf.NAME\n",
    "app/relative.py": "from . import absolute\nfrom .deep.inner import leaf\nVALUE = (absolute.VALUE, leaf.NAME)\n",
    "app/dunder.py": "m = __import__('app.deep.inner.leaf', fromlist=['NAME'])\nVALUE = m.NAME\n",
    "app/dynamic.py": (
        "import importlib\nfrom importlib import import_module\n"
        "def value():\n"
        "    return importlib.import_module('app.deep.inner.leaf').NAME, import_module('app').VERSION\n"
    ),
    "app/ping.py": "import app.pong\ndef ping():\n    return 'ping ' + app.pong.pong_name()\n",
    "app/pong.py": "import app.ping\ndef pong_name():\n    return 'pong'\ndef back():\n    return app.ping.ping()\n",
    "app/deep/inner/leaf.py": "NAME = 'leaf'\n",
    "app/msgs.py": "class Msg:\n    def __init__(self, x):\n        self.x = x\n",
    "app/fails_later.py": "def boom():\n    raise ValueError('boom at line 2')\n",
    "app/missing.py": "def go():\n    import app.not_there\n",
}


def app(version: str, **extra: str) -> bytes:
    files = {k: v.format(v=version) if k == "app/__init__.py" else v for k, v in APP.items()}
    files.update(extra)
    return build_archive(files)


def test_absolute_multilevel_import():
    assert install(H1, app("1"), "v1").load_class("app.absolute.VALUE") == "leaf"


def test_relative_imports():
    assert install(H1, app("1"), "v1").load_class("app.relative.VALUE") == ("leaf", "leaf")


def test_dunder_import():
    assert install(H1, app("1"), "v1").load_class("app.dunder.VALUE") == "leaf"


def test_importlib_import_module_inside_the_source():
    assert install(H1, app("1"), "v1").load_class("app.dynamic.value")() == ("leaf", "1")


def test_circular_imports():
    src = install(H1, app("1"), "v1")
    assert src.load_class("app.pong.back")() == "ping pong"


def test_modules_live_under_the_hash_prefix_only():
    install(H1, app("1"), "v1").load_class("app.absolute.VALUE")
    assert f"{PREFIX}{H1}.app.absolute" in sys.modules
    assert "app" not in sys.modules and "app.absolute" not in sys.modules


def test_two_versions_side_by_side():
    s1 = install(H1, app("1"), "v1")
    s2 = install(H2, app("2"), "v2")
    assert s1.load_class("app.VERSION") == "1"
    assert s2.load_class("app.VERSION") == "2"
    assert s1.load_class("app.dynamic.value")() == ("leaf", "1")
    assert s2.load_class("app.dynamic.value")() == ("leaf", "2")
    assert s1.load_class("app.msgs.Msg") is not s2.load_class("app.msgs.Msg")


def test_installing_a_hash_twice_gives_the_same_source():
    assert install(H1, app("1"), "v1") is install(H1, app("1"), "v1")


def test_missing_module_raises_import_error_naming_the_source():
    src = install(H1, app("1"), "v1")
    with pytest.raises(ImportError, match=r"No module named 'app.nope' in actor source 1{32} \(v1\)"):
        src.load_class("app.nope.Thing")
    with pytest.raises(ImportError, match="app.not_there"):
        src.load_class("app.missing.go")()
    with pytest.raises(ImportError, match="has no attribute 'Nope'"):
        src.load_class("app.msgs.Nope")


def test_names_outside_the_source_import_normally():
    import collections

    assert install(H1, app("1"), "v1").load_class("collections.OrderedDict") is collections.OrderedDict


def test_unload_forgets_the_modules():
    src = install(H1, app("1"), "v1")
    msg_cls = src.load_class("app.msgs.Msg")
    src.unload()
    assert not [m for m in sys.modules if m.startswith(prefix_for(H1))]
    assert H1 not in loaded_sources()
    assert msg_cls(3).x == 3  # objects already made live on
    with pytest.raises(ImportError):
        __import__(f"{prefix_for(H1)}.app")


BROKEN = {
    "app/zz_syntax.py": "def broken(:\n    pass\n",
    "app/zz_raises.py": "raise RuntimeError('broken on purpose')\n",
    "app/zz_exit.py": "import sys\nsys.exit(3)\n",
}


def test_modules_import_when_first_used_not_at_install():
    src = install(H1, app("1", **BROKEN), "v1")
    assert not [m for m in sys.modules if m.startswith(prefix_for(H1) + ".")]
    assert src.load_class("app.absolute.VALUE") == "leaf"
    assert f"{prefix_for(H1)}.app.absolute" in sys.modules
    assert f"{prefix_for(H1)}.app.relative" not in sys.modules


@pytest.mark.parametrize(
    "module, text",
    [
        ("app.zz_syntax", r"SyntaxError: .*zz_syntax\.py, line 1"),
        ("app.zz_raises", "RuntimeError: broken on purpose"),
        ("app.zz_exit", "SystemExit: 3"),  # an ImportError: sys.exit() must not end the admin
    ],
)
def test_a_broken_module_fails_only_what_names_it(module, text):
    src = install(H1, app("1", **BROKEN), "v1")
    with pytest.raises(ImportError, match=rf"module '{module}' of actor source 1{{32}} \(v1\) failed to import: {text}"):
        src.load_class(f"{module}.Thing")
    assert src.load_class("app.relative.VALUE") == ("leaf", "leaf")  # the rest still loads
    assert H1 in loaded_sources()


BARN = {
    "barn/__init__.py": "",
    "barn/chicken.py": "Cluck = 'cluck'\n",
    "barn/eggs/__init__.py": "",
    "barn/eggs/brown.py": "SHADE = 'brown'\n",
    "barn/piglet.py": (
        "from chicken import Cluck\n"
        "import chicken\n"
        "import eggs.brown\n"
        "import json\n"  # installed, and the stdlib's even though barn/json.py exists
        "def late():\n"
        "    from chicken import Cluck as c\n"
        "    return c\n"
        "VALUE = (Cluck, chicken.Cluck, eggs.brown.SHADE, json.__name__, __import__('chicken', globals()).Cluck)\n"
    ),
    "barn/json.py": "SHADOW = True\n",
    "barn/lost.py": "import no_such_module_anywhere\n",
    "barn/top.py": "import piglet\n",  # a sibling, not the source's top level
    "piglet.py": "WHICH = 'top-level piglet'\n",
}


def test_implicit_relative_imports_find_the_importing_modules_package():
    src = install(H1, build_archive(BARN), "barn")
    assert src.load_class("barn.piglet.VALUE") == ("cluck", "cluck", "brown", "json", "cluck")
    assert src.load_class("barn.piglet.late")() == "cluck"
    assert sys.modules[f"{prefix_for(H1)}.barn.chicken"].Cluck == "cluck"
    assert "chicken" not in sys.modules and "eggs" not in sys.modules


def test_the_sources_top_level_names_come_before_implicit_relative_ones():
    src = install(H1, build_archive(BARN), "barn")
    assert src.load_class("barn.top.piglet").WHICH == "top-level piglet"


def test_implicit_relative_lookup_still_reports_a_module_missing_everywhere():
    src = install(H1, build_archive(BARN), "barn")
    with pytest.raises(ImportError, match="no_such_module_anywhere"):
        src.load_class("barn.lost.Thing")


def test_implicit_relative_imports_are_for_source_code_only():
    install(H1, build_archive(BARN), "barn")
    with pytest.raises(ImportError):
        __import__("chicken")


def test_classes_of_a_source_pickle_by_their_prefixed_name():
    src = install(H1, app("1"), "v1")
    msg = src.load_class("app.msgs.Msg")(5)
    back = pickle.loads(pickle.dumps(msg))
    assert type(back) is type(msg) and back.x == 5
    assert type(msg).__module__ == f"{prefix_for(H1)}.app.msgs"


def test_tracebacks_show_the_source_text():
    boom = install(H1, app("1"), "v1").load_class("app.fails_later.boom")
    try:
        boom()
    except ValueError:
        text = traceback.format_exc()
    assert "<source v1>/app/fails_later.py" in text
    assert "raise ValueError('boom at line 2')" in text


def test_nothing_global_is_patched():
    real_import = builtins.__import__
    import importlib

    real_import_module = importlib.import_module
    install(H1, app("1"), "v1").load_class("app.dynamic.value")()
    assert builtins.__import__ is real_import
    assert importlib.import_module is real_import_module


def test_prefix_is_an_identifier_for_any_hash():
    assert prefix_for("ab" * 16) == PREFIX + "ab" * 16
    assert prefix_for("not/a hash").isidentifier()
