"""The creating process's transport, returned by ``actorcore_make_transport``.

Address details are strings, unique per system: ``u<id>`` the admin,
``u<id>/<n>`` its actors (the core numbers them), ``u<id>+<n>`` the creating
process's endpoints (``client_prefix`` plus a number the core picks).
"""
from __future__ import annotations

import os
import secrets
import shutil
import socket
import tempfile

from .admin import AdminLink
from .endpoint import Endpoint, connect


class ClientUnixTransport(Endpoint):
    """Makes the private directory and binds the admin's socket in it, then
    connects at once (the kernel queues the connection and our hello until
    the admin, started next, accepts them); the admin gets the listener in
    its link. Private to this process: no other program can attach."""

    def __init__(self) -> None:
        sysid = "u" + secrets.token_hex(4)
        self.dir = tempfile.mkdtemp(prefix="actorcore-unix-")  # mode 0700: this user's alone
        path = os.path.join(self.dir, "admin")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        token = secrets.token_hex(16)
        try:
            self.listener.bind(path)
            self.listener.listen(128)
            conn = connect(path, sysid + "+", token, hold_mine=False)
        except OSError as exc:  # e.g. a TMPDIR too long for a socket path (~100 bytes)
            self._remove()
            raise ConnectionError(f"cannot listen on {path}: {exc.strerror or exc}; "
                                  "set TMPDIR to a short directory") from None
        super().__init__(sysid + "+", conn)
        self.token = token
        # -- what runtime/client.py reads besides the Transport contract --------
        self.admin_address = sysid
        self.client_prefix = sysid + "+"

    def admin_link(self) -> AdminLink:
        return AdminLink(self.listener, self.admin_address, self.token, self.conn.sock)

    # -----------------------------------------------------------------------
    def close(self) -> None:
        super().close()
        self._remove()

    def _remove(self) -> None:
        self.listener.close()
        shutil.rmtree(self.dir, ignore_errors=True)
