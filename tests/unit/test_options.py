"""Option parsing on its own."""

from __future__ import annotations

from pubsub_demo.cli import options
from pubsub_demo.process import logs

from pathlib import Path

import pytest


def test_defaults_match_the_original_scripts():
    server = options.numbers_server(None, [])
    client = options.numbers_client(None, [])
    assert server.bind == client.connect == "tcp://127.0.0.1:5687"
    assert (server.lower, server.upper, server.count, server.interval) == (0, 10000, 6, 1)
    assert server.messages is None and server.seed is None and not server.pickle
    assert server.log_file == Path(__file__).resolve().parents[2] / "errors_log.log" == logs.DEFAULT_LOG_FILE


@pytest.mark.parametrize(
    "address",
    [
        "tcp://127.0.0.1:5687",
        "tcp://*:5687",
        "tcp://127.0.0.1:*",
        "tcp://localhost:1",
        "tcp://[::1]:5687",
        "ipc:///tmp/demo.sock",
    ],
)
def test_bind_addresses(address):
    assert options.numbers_server(None, ["--bind", address]).bind == address


@pytest.mark.parametrize(
    "address",
    [
        "tcp://127.0.0.1",
        "127.0.0.1:5687",
        "tcp://127.0.0.1:0x10",
        "tcp://127.0.0.1:70000",
        "tcp://127.0.0.1:0",
        "udp://1.2.3.4:5",
        "",
    ],
)
def test_bad_addresses_are_usage_errors(address, capsys):
    with pytest.raises(SystemExit) as exit:
        options.numbers_server(None, ["--bind", address])
    assert exit.value.code == 2
    assert len(capsys.readouterr().err.splitlines()) == 1


@pytest.mark.parametrize("address", ["tcp://*:5687", "tcp://127.0.0.1:*"])
def test_a_client_needs_one_server_address(address):
    with pytest.raises(SystemExit):
        options.numbers_client(None, ["--connect", address])


@pytest.mark.parametrize(
    "args",
    [
        ["--lower", "1", "--upper", "1"],
        ["--upper", "inf"],
        ["--count", "2.5"],
        ["--interval", "nan"],
        ["--messages", "0"],
        ["--seed", "x"],
    ],
)
def test_nonsense_numbers_are_usage_errors(args):
    with pytest.raises(SystemExit) as exit:
        options.numbers_server(None, args)
    assert exit.value.code == 2
