"""A small web service whose handlers talk to actors without a thread per request.

``GET /quote?item=NAME&qty=N`` answers with a price quote as JSON. The
handler awaits ``asys.ask_async`` of a ``Quoter`` actor; the Quoter's own
handler is ``async def`` and awaits two other actors at once (the catalogue
for the unit price, the discounts for the rate) with ``await self.ask``. Each
actor still handles one message at a time; many requests are in flight.

Run it (Starlette and uvicorn: ``pip install starlette uvicorn``)::

    python examples/web_quotes.py --port 8000
    curl 'http://127.0.0.1:8000/quote?item=tea&qty=12'

It prints ``serving on http://HOST:PORT`` once it answers, and stops (every
actor process with it) on Ctrl-C or SIGTERM. ``--port 0`` picks a free port.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import signal
import socket
import sys

from actorcore.actors import Actor, ActorSystem

PRICES = {"tea": 3.5, "coffee": 4.25, "cocoa": 2.75}


class Catalogue(Actor):
    """("price", item) -> unit price, or None for an unknown item."""

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("price",):
            self.send(sender, PRICES.get(message[1]))


class Discounts(Actor):
    """("rate", qty) -> the discount for that many: 10% from 10, 20% from 100."""

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("rate",):
            qty = message[1]
            self.send(sender, 0.2 if qty >= 100 else 0.1 if qty >= 10 else 0.0)


class Quoter(Actor):
    """("setup", catalogue, discounts) once; then ("quote", item, qty) -> a dict."""

    async def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("setup",):
            _, self.catalogue, self.discounts = message
            self.send(sender, "ready")
        elif isinstance(message, tuple) and message[:1] == ("quote",):
            _, item, qty = message
            price, rate = await asyncio.gather(
                self.ask(self.catalogue, ("price", item), timeout=5),
                self.ask(self.discounts, ("rate", qty), timeout=5),
            )
            if price is None:
                self.send(sender, {"error": f"no such item: {item}"})
            else:
                total = round(price * qty * (1 - rate), 2)
                self.send(sender, {"item": item, "qty": qty, "unit": price, "discount": rate, "total": total})


def make_app(asys: ActorSystem, quoter):
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def quote(request):
        item = request.query_params.get("item", "")
        try:
            qty = int(request.query_params.get("qty", "1"))
        except ValueError:
            return JSONResponse({"error": "qty must be a whole number"}, status_code=400)
        answer = await asys.ask_async(quoter, ("quote", item, qty), timeout=10)
        if answer is None:
            return JSONResponse({"error": "no answer in time"}, status_code=504)
        return JSONResponse(answer, status_code=404 if "error" in answer else 200)

    return Starlette(routes=[Route("/quote", quote)])


def _stop(signum, frame):
    # uvicorn stops serving on these, then raises them again: end quietly,
    # through main's finally (so the actor system shuts down with us).
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--base", default="multiprocQueueBase")
    parser.add_argument("--capabilities", type=json.loads, default={},
                        help='the system\'s capabilities as JSON, e.g. \'{"Admin Port": 1901}\'')
    args = parser.parse_args(argv)

    import uvicorn

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    host, port = sock.getsockname()[:2]
    asys = ActorSystem(args.base, capabilities=args.capabilities, transientUnique=True)
    try:
        quoter = asys.createActor(Quoter)
        ready = asys.ask(quoter, ("setup", asys.createActor(Catalogue), asys.createActor(Discounts)), 10)
        if ready != "ready":
            print(f"the Quoter did not start: {ready!r}", file=sys.stderr)
            return 1
        config = uvicorn.Config(make_app(asys, quoter), log_level="warning", lifespan="off")
        server = uvicorn.Server(config)

        async def serve() -> None:
            task = asyncio.create_task(server.serve(sockets=[sock]))
            while not server.started and not task.done():
                await asyncio.sleep(0.01)
            if server.started:
                print(f"serving on http://{host}:{port}", flush=True)
            await task

        asyncio.run(serve())
        return 0
    finally:
        sock.close()
        asys.shutdown()


if __name__ == "__main__":
    # Run as a script, this file is __main__, whose classes an actor process
    # that starts fresh (the 'spawn' start method, a Ray worker) cannot
    # import. Run it as the module web_quotes instead (its folder is on the
    # path of this program and of such processes), so the actors travel as
    # web_quotes.Quoter and so on, on every base.
    import web_quotes

    sys.exit(web_quotes.main())
