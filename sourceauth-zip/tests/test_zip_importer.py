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
    install(H1, app("1"), "v1")
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


def test_module_raising_on_import_refuses_the_source_and_loads_nothing():
    data = app("1", **{"app/zz_broken.py": "raise RuntimeError('broken on purpose')\n"})
    with pytest.raises(ValueError, match="'app.zz_broken' raised on import: RuntimeError: broken on purpose"):
        install(H1, data, "v1")
    assert H1 not in loaded_sources()
    assert not [m for m in sys.modules if m.startswith(prefix_for(H1))]


def test_module_calling_sys_exit_on_import_is_refused_not_obeyed():
    data = app("1", **{"app/zz_exit.py": "import sys\nsys.exit(3)\n"})
    with pytest.raises(ValueError, match="'app.zz_exit' raised on import: SystemExit: 3"):
        install(H1, data, "v1")
    assert H1 not in loaded_sources()


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
