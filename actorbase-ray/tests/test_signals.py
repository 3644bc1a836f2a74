"""An actor's SIGTERM (signals.py) is seen by its loop even before the thread
that watches the wakeup pipe has run, and one signal is never acted on twice.

Each case runs in a child Python: the watcher sets the process's signal
handlers, which this test process must keep."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

_PRELUDE = textwrap.dedent("""
    import json, os, signal, threading, time
    from actorbase_ray.signals import Signals

    terms = []
    got_term = threading.Event()

    def on_term():
        terms.append(time.monotonic())
        got_term.set()

    def settle():
        # the watcher has had time to take whatever the pipe holds
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            time.sleep(0.01)
""")


def _run(body: str) -> dict:
    script = _PRELUDE + textwrap.dedent(body)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_sigterm_still_pending_is_seen_by_the_loop_and_acted_on_once():
    # Blocked in every thread, the signal stays pending: no thread has taken
    # it, the pipe is empty, and only the kernel knows. The loop must see it;
    # when it is finally taken, the watcher must not act on it a second time.
    out = _run("""
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        sig = Signals(on_term, lambda: None)
        os.kill(os.getpid(), signal.SIGTERM)
        first = sig.term_arrived()
        again = sig.term_arrived()
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        settle()
        print(json.dumps({"first": first, "again": again, "terms": len(terms),
                          "after": sig.term_arrived()}))
    """)
    assert out == {"first": True, "again": False, "terms": 0, "after": False}


def test_a_sigterm_the_watcher_took_reaches_on_term_and_not_the_loop():
    out = _run("""
        sig = Signals(on_term, lambda: None)
        os.kill(os.getpid(), signal.SIGTERM)
        heard = got_term.wait(10)
        settle()
        print(json.dumps({"heard": heard, "terms": len(terms), "loop": sig.term_arrived()}))
    """)
    assert out == {"heard": True, "terms": 1, "loop": False}


def test_a_second_sigterm_after_the_first_was_taken_counts_again():
    out = _run("""
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        sig = Signals(on_term, lambda: None)
        os.kill(os.getpid(), signal.SIGTERM)
        first = sig.term_arrived()
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        settle()
        os.kill(os.getpid(), signal.SIGTERM)
        heard = got_term.wait(10)
        settle()
        print(json.dumps({"first": first, "heard": heard, "terms": len(terms)}))
    """)
    assert out == {"first": True, "heard": True, "terms": 1}


def test_sigusr1_asks_for_status_and_is_not_a_sigterm():
    out = _run("""
        asked = threading.Event()
        sig = Signals(on_term, asked.set)
        os.kill(os.getpid(), signal.SIGUSR1)
        status = asked.wait(10)
        settle()
        print(json.dumps({"status": status, "terms": len(terms), "loop": sig.term_arrived()}))
    """)
    assert out == {"status": True, "terms": 0, "loop": False}


def test_outside_the_main_thread_it_watches_nothing_and_sets_no_handler():
    out = _run("""
        made = []
        t = threading.Thread(target=lambda: made.append(Signals(on_term, lambda: None)))
        t.start(); t.join()
        print(json.dumps({"handler": signal.getsignal(signal.SIGTERM) is signal.SIG_DFL,
                          "loop": made[0].term_arrived()}))
    """)
    assert out == {"handler": True, "loop": False}
