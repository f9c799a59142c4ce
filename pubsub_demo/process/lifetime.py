"""A script's life: how it starts, runs and stops.

`begin` is a script's first call, made by its first line (`from bootstrap import lifetime`),
before numpy, zmq and OpenCV load: it checks that they are there (a terminal without the
project's environment gets one line saying what to do, not a traceback), and a Ctrl+C while
they load (a moment) then ends the script as quietly as one later on. `outside_the_environment`
is what bootstrap.py calls instead where the package itself is not installed. `run` runs its
main(): a stop signal (Ctrl+C, SIGTERM, SIGHUP; on Windows Ctrl+Break and the console window
closed: system/signals.py) ends it with exit code 0 and no traceback, a Fatal error with one
line and exit code 1. `checkpoint`, called at each step of a script's
loop, makes sure a stop is never lost; `stop_requested` lets another thread see a stop that the
main thread has not yet seen.

This module loads nothing but the standard library: it must be ready before the rest.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import NoReturn

from pubsub_demo.process import logs
from pubsub_demo.process.console import WholeLines, say, silence
from pubsub_demo.system import signals

STOP_SIGNALS = signals.STOP_SIGNALS
STOP_GRACE = 10.0  # seconds the clean-up after a stop may take before the script ends without it

_interrupted = False  # a Ctrl+C came while the script started
_stop_signal: int | None = None  # the signal that asked the script to stop, once its handler has run
_stop_arrived = threading.Event()  # set as soon as a stop signal comes, even before its handler runs

# The modules the scripts import, and the package (requirements.txt) that brings each.
REQUIREMENTS = {
    "numpy": "numpy",
    "zmq": "pyzmq",
    "cv2": "opencv-python",
    "psutil": "psutil",
    "screeninfo": "screeninfo",
}
# What to type, in the commands of the system the script runs on (Windows': cmd's and PowerShell's alike).
WHAT_TO_DO = (
    r"run .venv\Scripts\activate first, or make the environment: "
    r"py -m venv .venv, then .venv\Scripts\pip install -r requirements.txt"
    if sys.platform == "win32"
    else "run . .venv/bin/activate first, or make the environment: "
    "python3 -m venv .venv && .venv/bin/pip install -r requirements.txt"
)

# The same, briefly, where the package itself is not found (bootstrap.py, in a part's folder).
WHAT_TO_DO_BRIEFLY = (
    r"run .venv\Scripts\activate, or: py -m venv .venv, then .venv\Scripts\pip install -r requirements.txt"
    if sys.platform == "win32"
    else "run . .venv/bin/activate, or: python3 -m venv .venv && .venv/bin/pip install -r requirements.txt"
)


def outside_the_environment() -> NoReturn:
    """A script's first call where this Python has not got the package installed (a terminal
    where the project's environment is not active; bootstrap.py then finds this module in the
    project's folder): one line saying what to do, exit code 1."""
    say(WHAT_TO_DO_BRIEFLY)
    sys.exit(1)


def begin() -> None:
    """Call first, before the script imports numpy, zmq or OpenCV. If any of the requirements
    is missing (a terminal where the project's environment is not active), say so in one line,
    with what to do, and exit with code 1. A Ctrl+C that ends the script while they load ends
    it quietly (no traceback, exit code 0), and so does the error a library's loading may turn
    that Ctrl+C into (numpy's: `ImportError: PyCapsule_Import could not import module
    "datetime"`). Anything else is shown as usual."""
    missing = missing_requirements()
    if missing:
        say(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not installed for this Python: {WHAT_TO_DO}")
        sys.exit(1)
    # The scripts do no linear algebra: numpy's BLAS threads would only cost start-up time and
    # memory in each of 30 cameras (docs/performance.md, "Figures behind the code's limits").
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    global _previous_excepthook, _previous_unraisablehook
    _previous_excepthook, _previous_unraisablehook = sys.excepthook, sys.unraisablehook
    sys.excepthook, sys.unraisablehook = _end_quietly_on_ctrl_c, _drop_a_ctrl_c_noted
    if (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    ):
        signal.signal(signal.SIGINT, _note_ctrl_c)  # `run` sets its own, once the script runs


_previous_excepthook = sys.excepthook
_previous_unraisablehook = sys.unraisablehook


def _drop_a_ctrl_c_noted(unraisable: sys.UnraisableHookArgs) -> None:
    """sys.unraisablehook while a script starts: a Ctrl+C that lands in a clean-up that cannot
    raise (importlib's, while a library loads) is dropped there, and noted: `run` stops the
    script before its main() starts. Nothing to print."""
    if not (issubclass(unraisable.exc_type, KeyboardInterrupt) and _interrupted):
        _previous_unraisablehook(unraisable)


def missing_requirements(modules: dict[str, str] = REQUIREMENTS) -> list[str]:
    """The packages of `modules` (module: package) that this Python cannot import."""
    return [package for module, package in modules.items() if importlib.util.find_spec(module) is None]


def _end_quietly_on_ctrl_c(
    exc_type: type[BaseException], value: BaseException, traceback: TracebackType | None
) -> None:
    """sys.excepthook while a script starts (see `begin`)."""
    reached_the_script = (
        traceback is not None
        and traceback.tb_frame.f_code.co_name == "<module>"
        and traceback.tb_frame.f_globals.get("__name__") == "__main__"
    )
    if (issubclass(exc_type, KeyboardInterrupt) or _interrupted) and reached_the_script:
        try:
            sys.stdout.flush()
        finally:
            os._exit(0)
    if _interrupted:  # shown by a caller in C that goes on (importlib's, seen once): `run` stops the script
        return
    _previous_excepthook(exc_type, value, traceback)


def _note_ctrl_c(signum: int, frame: object) -> None:
    """SIGINT's handler while a script starts: Python's own (a KeyboardInterrupt), but noted,
    since a library that is loading may turn the KeyboardInterrupt into an error of its own."""
    global _interrupted
    _interrupted = True
    raise KeyboardInterrupt


def stop_requested() -> bool:
    """Whether a stop signal came (for a thread that must help the main one stop), even one
    whose handler has not run yet: it runs only once the main thread runs Python code again."""
    return _stop_arrived.is_set() or _stop_signal is not None


def checkpoint() -> None:
    """Call at each step of a script's loop: it stops the script if a stop was asked for, and
    writes the counts of held-back log lines once their window is over (see logs.FloodGate).

    The signal handler raises KeyboardInterrupt where the script happens to be; if that is
    inside a C extension's clean-up (pyzmq frees a zero-copy frame, say), the exception is
    dropped there. The handler also notes the stop, so it is raised again here.
    """
    if _stop_signal is not None:
        raise KeyboardInterrupt
    logs.write_counts(only_if_over=True)


def run(main: Callable[[], None]) -> NoReturn:
    """Run a script's main(): a stop signal ends it with code 0, a Fatal error with code 1.

    Stopping is the normal way to end a server or a client, so it gets no traceback; the
    `with` blocks in main() close the sockets on the way out.
    """
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # lines show up at once in a pipe too
    sys.stdout = WholeLines(sys.stdout)  # type: ignore[assignment]
    _drop_lost_interrupts()
    _watch_the_clean_up()
    try:
        for stop_signal in STOP_SIGNALS:  # SIGINT too, even if started with it ignored (as by `cmd &`)
            signal.signal(stop_signal, _ask_to_stop)
        if _interrupted:  # a Ctrl+C while the libraries loaded, that a clean-up dropped (see begin)
            raise KeyboardInterrupt
        main()
    except (KeyboardInterrupt, RuntimeError) as stop:
        if isinstance(stop, RuntimeError) and not _lost_in_a_lock(stop):
            raise
        for stop_signal in STOP_SIGNALS:  # a second Ctrl+C must not interrupt the clean-up
            signal.signal(stop_signal, signal.SIG_IGN)
        if _stop_signal is not None and _stop_signal == signals.HANG_UP:  # nothing printed now would reach anyone
            silence(sys.stdout, sys.stderr)
        _exit(0)
    except BrokenPipeError:  # `server.py | head` has read enough: end quietly, like other tools
        silence(sys.stdout)
        _exit(0)
    except logs.Fatal as fatal:
        logs.log_fatal(fatal)
        _exit(1)
    _exit(0)


def _lost_in_a_lock(error: RuntimeError) -> bool:
    """Whether `error` is what a stop turned into inside Python's threading: a KeyboardInterrupt
    that lands while a Condition takes its lock back (in Event.wait, so in Thread.start too:
    pyzmq starts a thread at a server's first zero-copy send) leaves the lock free, and the `with`
    block's exit then fails with "release unlocked lock" (CPython issues 78667 and 118433)."""
    return _stop_signal is not None and isinstance(error.__context__, KeyboardInterrupt)


_cleaned_up = threading.Event()  # a Windows console that closes waits for it (signals.hold_the_closing_console)


def _exit(code: int) -> NoReturn:
    logs.write_counts(only_if_over=False)
    _cleaned_up.set()
    sys.exit(code)


def _ask_to_stop(signum: int, frame: FrameType | None) -> None:
    global _stop_signal
    _stop_signal = signum
    if not _making_a_socket(frame):  # else the next checkpoint, a moment later, carries the stop out
        raise KeyboardInterrupt


_CONTEXT_PY = os.path.join("zmq", "sugar", "context.py")


def _making_a_socket(frame: FrameType | None) -> bool:
    """Whether the main thread is in pyzmq's Context.socket. A KeyboardInterrupt there can leave
    the new socket open but not yet known to its context, held by the exception's traceback:
    the `with` block's exit then closes the context, which waits for that socket for ever (seen
    under load: a script stopped while it started hung until the clean-up's grace was over)."""
    while frame is not None:
        if frame.f_code.co_name == "socket" and frame.f_code.co_filename.endswith(_CONTEXT_PY):
            return True
        frame = frame.f_back
    return False


def _watch_the_clean_up() -> None:
    """Note a stop signal the moment it comes, and end the script anyway if its clean-up hangs.

    Python's own signal handler, in C, only notes a signal: the Python handler (`_ask_to_stop`)
    runs when the main thread next runs Python code. A main thread held in C (the relay's
    proxy, in libzmq) runs none until something wakes it, and a signal that lands anywhere but
    in its wait (in another thread, or while it is busy) does not. So the C handler also writes
    the signal's number into a pipe (set_wakeup_fd), from whatever thread it runs in, and a
    background thread reading it sets `_stop_arrived` (see stop_requested). On Windows, a
    console window that closes is held until the clean-up is done (at most a few seconds).

    Then it gives the clean-up STOP_GRACE seconds: a Ctrl+C that comes while pyzmq creates a
    socket can leave that socket open but unknown to its context, and closing the context then
    waits for it forever.
    """
    wake_up = signals.wake_on_signals()
    signals.hold_the_closing_console(_cleaned_up)

    def watch() -> None:
        wake_up.recv(1)
        _stop_arrived.set()
        time.sleep(STOP_GRACE)
        logs.log_warning(f"the clean-up did not end within {STOP_GRACE:g} s of the stop")
        say(f"the clean-up did not end within {STOP_GRACE:g} s of the stop; ending without it")
        os._exit(0)

    threading.Thread(target=watch, name="stop watch", daemon=True).start()


def _drop_lost_interrupts() -> None:
    """Keep quiet about a KeyboardInterrupt that a C extension could not raise.

    pyzmq, for one, frees a zero-copy frame in a clean-up that cannot raise exceptions: a
    KeyboardInterrupt from the signal handler that lands there is printed ("Exception ignored
    in …") and dropped. `checkpoint` raises it again, so there is nothing to print.
    """
    previous_excepthook, previous_unraisablehook = sys.excepthook, sys.unraisablehook

    def excepthook(exc_type: type[BaseException], value: BaseException, traceback: TracebackType | None) -> None:
        if not (issubclass(exc_type, KeyboardInterrupt) and _stop_signal is not None):
            previous_excepthook(exc_type, value, traceback)

    def unraisablehook(unraisable: sys.UnraisableHookArgs) -> None:
        if not (issubclass(unraisable.exc_type, KeyboardInterrupt) and _stop_signal is not None):
            previous_unraisablehook(unraisable)

    sys.excepthook, sys.unraisablehook = excepthook, unraisablehook
