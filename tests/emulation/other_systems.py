"""The standard library as Windows' or macOS's CPython has it, seen by the project's code only.

No Windows or macOS machine is at hand, so the project's code is run here as those systems'
Python would run it: every `import` made by a file of the project (not by the standard library,
nor by pyzmq, numpy, OpenCV or psutil, which stay whole) gets a view of the module that lacks
what that system lacks, and has what it adds:

- `sys.platform` reads "win32" or "darwin", so the code takes its branches for that system;
- Windows: no SIGHUP, pthread_sigmask or SIG_BLOCK, but SIGBREAK and CTRL_BREAK_EVENT; a
  wake-up descriptor must be a socket; no select.poll or epoll; no fcntl, termios, pwd, grp or
  resource; no os.set_blocking (3.12 adds it), O_NONBLOCK, killpg or setsid; os.dup refuses a
  socket (a SOCKET handle is no C runtime descriptor); no TCP_INFO, TCP_USER_TIMEOUT or
  AF_UNIX; subprocess takes CREATE_NEW_PROCESS_GROUP, its `terminate` kills (exit code 1), and
  CTRL_BREAK_EVENT reaches the child as SIGBREAK (here: the real SIGUSR1, which no script uses);
- macOS: no epoll, no TCP_INFO, TCP_USER_TIMEOUT or other Linux-only socket options;
- both: no /proc (the project's own reads of it fail as on a system without it).

What the view cannot be is the other system itself: its kernel, its console, its libzmq.
docs/robustness.md says what was tested how.
"""

from __future__ import annotations

import builtins
import errno
import io
import os
import signal
import stat
import subprocess
import sys
import sysconfig
import types
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
_NOT_PROJECT = (  # the libraries (wherever this Python's environment is: .venv, .venv-oldest), the tests, and
    # the benchmarks, which are Linux tools
    *{Path(sysconfig.get_paths()[key]).resolve() for key in ("purelib", "platlib")},
    PROJECT / ".venv",
    PROJECT / "tests",
    PROJECT / "benchmarks",
)

SOCKET_LINUX_ONLY = {
    "TCP_INFO", "TCP_USER_TIMEOUT", "TCP_CONGESTION", "TCP_QUICKACK", "TCP_CORK", "TCP_DEFER_ACCEPT",
    "TCP_LINGER2", "TCP_SYNCNT", "TCP_WINDOW_CLAMP", "TCP_NOTSENT_LOWAT", "SO_PEERCRED", "SO_BINDTODEVICE",
    "SO_MARK", "SO_PRIORITY", "SO_PASSCRED", "SO_DOMAIN", "SO_PROTOCOL", "MSG_CONFIRM", "MSG_MORE",
    "MSG_NOSIGNAL", "AF_PACKET", "AF_NETLINK", "SOCK_CLOEXEC", "SOCK_NONBLOCK", "sethostname",
}  # fmt: skip
SELECT_EPOLL = {name for name in dir(__import__("select")) if name.startswith("EPOLL")} | {"epoll"}
SELECT_POLL = {name for name in dir(__import__("select")) if name.startswith("POLL")} | {"poll"}

WINDOWS_SIGNAL = {
    "signal", "getsignal", "set_wakeup_fd", "default_int_handler", "raise_signal", "strsignal", "valid_signals",
    "SIG_DFL", "SIG_IGN", "SIGABRT", "SIGFPE", "SIGILL", "SIGINT", "SIGSEGV", "SIGTERM", "NSIG", "Signals",
    "Handlers",
}  # fmt: skip
WINDOWS_OS_MISSING = {
    "set_blocking", "get_blocking", "O_NONBLOCK", "killpg", "getpgid", "setpgid", "setsid", "fork", "getuid",
    "geteuid", "getgid", "getegid", "pipe2", "mkfifo", "sched_getaffinity", "sysconf", "getloadavg", "nice",
    "uname", "WNOHANG", "O_NOCTTY", "O_CLOEXEC", "posix_spawn", "register_at_fork",
}  # fmt: skip
WINDOWS_SOCKET_MISSING = SOCKET_LINUX_ONLY | {"AF_UNIX", "MSG_DONTWAIT", "SO_REUSEPORT", "if_nameindex"}
WINDOWS_ABSENT_MODULES = {"fcntl", "termios", "pwd", "grp", "resource", "posix", "tty", "pty"}
DARWIN_SIGNAL_MISSING = {"SIGRTMIN", "SIGRTMAX", "SIGPOLL", "SIGPWR", "SIGSTKFLT", "SIGCLD", "pidfd_send_signal"}
DARWIN_OS_MISSING = {"sched_getaffinity", "pipe2", "memfd_create", "eventfd", "pidfd_open", "O_DIRECT", "O_NOATIME"}

BREAK = signal.SIGUSR1  # what stands for Windows' SIGBREAK here, and what CTRL_BREAK_EVENT sends
CTRL_C_EVENT, CTRL_BREAK_EVENT = 0, 1  # Windows' values
STATUS_CONTROL_C_EXIT = 0xC000013A  # a Windows process that Ctrl+Break ended before it took the signal


class View(types.ModuleType):
    """A module as another system has it: `missing` names are not there (or only `only` are),
    `added` ones are; everything else, and every assignment, is the real module's."""

    def __init__(self, real: types.ModuleType, missing=(), added=None, only=None) -> None:
        super().__init__(real.__name__, real.__doc__)
        self.__dict__.update(_real=real, _missing=set(missing), _added=dict(added or {}), _only=only)

    def __getattr__(self, name: str):
        if name in self._added:
            return self._added[name]
        if name in self._missing or (self._only is not None and name not in self._only and not name.startswith("__")):
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        return getattr(self._real, name)

    def __setattr__(self, name: str, value) -> None:
        setattr(self._real, name, value)

    def __dir__(self):
        names = set(dir(self._real)) | set(self._added)
        if self._only is not None:
            names &= self._only | set(self._added)
        return sorted(names - self._missing)


def _windows_set_wakeup_fd(fd: int, *, warn_on_full_buffer: bool = True) -> int:
    if fd != -1 and not stat.S_ISSOCK(os.fstat(fd).st_mode):
        raise ValueError(f"the fd {fd} must be a socket")
    return signal.set_wakeup_fd(fd, warn_on_full_buffer=warn_on_full_buffer)


def _windows_dup(fd: int) -> int:
    if stat.S_ISSOCK(os.fstat(fd).st_mode):
        raise OSError(errno.EBADF, "Bad file descriptor")
    return os.dup(fd)


class WindowsPopen(subprocess.Popen):
    """subprocess.Popen as on Windows: creationflags=CREATE_NEW_PROCESS_GROUP gives the child a group
    of its own (start_new_session is ignored there); terminate() is TerminateProcess (exit code 1);
    send_signal takes SIGTERM, CTRL_C_EVENT and CTRL_BREAK_EVENT only."""

    def __init__(self, args, *rest, creationflags: int = 0, start_new_session: bool = False, **options) -> None:
        super().__init__(args, *rest, start_new_session=bool(creationflags & 0x200), **options)

    def send_signal(self, sig: int) -> None:
        if self.poll() is not None:
            return
        if sig == signal.SIGTERM:
            self.terminate()
        elif sig == CTRL_BREAK_EVENT:
            os.kill(self.pid, BREAK)
        elif sig == CTRL_C_EVENT:
            os.kill(self.pid, signal.SIGINT)
        else:
            raise ValueError(f"Unsupported signal: {sig}")

    def terminate(self) -> None:
        self.kill()

    def _as_on_windows(self) -> None:
        if self.returncode == -signal.SIGKILL:
            self.returncode = 1
        elif self.returncode == -BREAK:
            self.returncode = STATUS_CONTROL_C_EXIT

    def poll(self):
        super().poll()
        self._as_on_windows()
        return self.returncode

    def wait(self, timeout=None):
        super().wait(timeout)
        self._as_on_windows()
        return self.returncode


def views(system: str) -> dict[str, types.ModuleType]:
    """The modules the project's code gets instead of the real ones, as on `system`."""
    import select
    import socket

    sys_view = View(sys, added={"platform": system})
    if system == "win32":
        return {
            "sys": sys_view,
            "signal": View(
                signal,
                only=WINDOWS_SIGNAL,
                added={
                    "SIGBREAK": BREAK,
                    "CTRL_C_EVENT": CTRL_C_EVENT,
                    "CTRL_BREAK_EVENT": CTRL_BREAK_EVENT,
                    "set_wakeup_fd": _windows_set_wakeup_fd,
                },
            ),
            "os": View(os, missing=WINDOWS_OS_MISSING, added={"dup": _windows_dup}),
            "select": View(select, missing=SELECT_EPOLL | SELECT_POLL),
            "socket": View(socket, missing=WINDOWS_SOCKET_MISSING),
            "subprocess": View(subprocess, added={"Popen": WindowsPopen, "CREATE_NEW_PROCESS_GROUP": 0x200}),
        }
    if system == "darwin":
        return {
            "sys": sys_view,
            "signal": View(signal, missing=DARWIN_SIGNAL_MISSING),
            "os": View(os, missing=DARWIN_OS_MISSING),
            "select": View(select, missing=SELECT_EPOLL),
            "socket": View(socket, missing=SOCKET_LINUX_ONLY),
        }
    raise ValueError(f"no view of {system!r}: win32 or darwin")


_project_files: dict[str, bool] = {}


def is_project(file: str | None) -> bool:
    """Whether `file` is one of the project's own (a script, the package), not a test or a library."""
    if not file:
        return False
    if file not in _project_files:
        path = Path(file).resolve()
        _project_files[file] = path.is_relative_to(PROJECT) and not any(path.is_relative_to(p) for p in _NOT_PROJECT)
    return _project_files[file]


def _caller_is_project(depth: int = 2) -> bool:
    """Whether the first caller outside the standard library's file functions is the project's."""
    frame = sys._getframe(depth)
    while frame is not None and frame.f_code.co_filename.startswith((os.path.dirname(os.__file__), "<frozen")):
        frame = frame.f_back
    return frame is not None and is_project(frame.f_code.co_filename)


def install(system: str) -> None:
    """From now on, the project's code sees the standard library as `system`'s CPython has it."""
    modules = views(system)
    absent = WINDOWS_ABSENT_MODULES if system == "win32" else set()
    real_import, real_open, real_io_open = builtins.__import__, builtins.open, io.open

    def emulated_import(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0 and globals is not None and is_project(globals.get("__file__")):
            top = name.partition(".")[0]
            if top in absent:
                raise ModuleNotFoundError(f"No module named {top!r}", name=top)
            module = real_import(name, globals, locals, fromlist, level)
            if top in modules and (not fromlist or name == top):
                return modules[top]
            return module
        return real_import(name, globals, locals, fromlist, level)

    def no_proc(opener):
        def open_(file, *args, **kwargs):
            if isinstance(file, (str, Path)) and str(file).startswith("/proc/") and _caller_is_project():
                raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(file))
            return opener(file, *args, **kwargs)

        return open_

    builtins.__import__ = emulated_import
    builtins.open = no_proc(real_open)
    io.open = no_proc(real_io_open)
