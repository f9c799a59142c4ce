"""Stopping on each system: Windows' console handler, in-process, with its events as numbers."""

from __future__ import annotations

import threading

from pubsub_demo.system import signals


def test_ctrl_c_and_ctrl_break_are_left_to_python():
    stops = []
    handle = signals.console_handler(lambda: stops.append(1), threading.Event())
    assert handle(0) is False and handle(1) is False  # CTRL_C_EVENT, CTRL_BREAK_EVENT
    assert stops == []


def test_a_closed_console_stops_the_script_and_waits_for_its_clean_up():
    cleaned_up = threading.Event()
    stops = []

    def stop() -> None:  # as interrupt_main would: the main thread cleans up, then says so
        stops.append(1)
        threading.Timer(0.2, cleaned_up.set).start()

    handle = signals.console_handler(stop, cleaned_up)
    assert handle(signals.CONSOLE_CLOSED) is True
    assert stops == [1] and cleaned_up.is_set()  # it returned only once the clean-up was done


def test_a_clean_up_that_hangs_is_waited_for_no_longer_than_windows_allows(monkeypatch):
    monkeypatch.setattr(signals, "CONSOLE_GRACE", 0.1)
    handle = signals.console_handler(lambda: None, threading.Event())
    assert handle(signals.LOGGED_OFF) is True and handle(signals.SHUT_DOWN) is True


def test_the_wake_up_socket_is_readable_once_a_signal_arrives():
    import signal
    import socket

    previous = signal.signal(signal.SIGUSR2, lambda *_: None)
    old_fd = signal.set_wakeup_fd(-1)
    try:
        wake_up = signals.wake_on_signals()
        wake_up.settimeout(5)
        signal.raise_signal(signal.SIGUSR2)
        assert wake_up.recv(1) == bytes([signal.SIGUSR2])
        assert isinstance(wake_up, socket.socket)
    finally:
        signal.set_wakeup_fd(old_fd)
        signal.signal(signal.SIGUSR2, previous)
