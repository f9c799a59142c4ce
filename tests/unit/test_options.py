"""Option parsing on its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from pubsub_demo.cli import options
from pubsub_demo.process import logs


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


BIG = "99999999999999999999999"  # more than any whole number the scripts take (sys.maxsize)


# For each option: the values taken, and what each is taken as; then the values that are usage
# errors (exit code 2, one line that names the option), BIG standing for the number above.
OUTCOMES = {
    (options.numbers_server, "--interval"): (
        {"0": 0.0, "0.5": 0.5, "1e-300": 1e-300, "3600": 3600.0},  # 0: as fast as it can
        "-1 nan inf -inf 3600.5 1e300 BIG x",
    ),
    (options.numbers_server, "--count"): (
        {"1": 1, "2097152": 2097152},  # 16 MiB of float64: what a client accepts
        "0 -1 2.5 2097153 nan inf 1e300 1e-300 BIG x",
    ),
    (options.numbers_server, "--messages"): ({"1": 1, "3": 3}, "0 -1 nan inf 1e300 1e-300 BIG x"),
    (options.numbers_server, "--seed"): ({"0": 0, "7": 7, BIG: int(BIG)}, "-1 nan inf 1e300 1e-300 x"),  # any size
    (options.numbers_server, "--lower"): (  # below --upper, 10000 by default
        {"-1": -1.0, "0": 0.0, "1e-300": 1e-300},
        "10000 1e300 BIG nan inf -inf x",
    ),
    (options.numbers_server, "--upper"): (  # above --lower, 0 by default
        {"1e-300": 1e-300, "1e300": 1e300, BIG: 1e23},
        "0 -1 nan inf -inf x",
    ),
    (options.video_server, "--fps"): (
        {"0": 0.0, "0.01": 0.01, "30": 30.0, "1000": 1000.0},  # 0: as fast as it can
        "0.001 1e-300 1000.5 -1 nan inf 1e300 BIG x",
    ),
    (options.video_server, "--width"): ({"1": 1, "320": 320, "16384": 16384}, "0 -1 16385 nan inf 1e300 BIG x"),
    (options.video_server, "--height"): ({"1": 1, "16384": 16384}, "0 -1 16385 nan inf 1e300 BIG x"),
    (options.video_server, "--frames"): ({"1": 1}, "0 -1 nan inf 1e300 1e-300 BIG x"),
    (options.video_server, "--jpeg"): ({"1": 1, "80": 80, "100": 100}, "0 -1 101 nan inf 1e300 BIG x"),
    (options.video_client, "--delay"): ({"0": 0.0, "1e-300": 1e-300, "60": 60.0}, "60.5 -1 nan inf 1e300 BIG x"),
    (options.video_client, "--silence"): (
        {"0.5": 0.5, "1e-300": 1e-300, "3600": 3600.0},
        "0 3601 -1 nan inf 1e300 BIG x",
    ),
    (options.video_client, "--frames"): ({"1": 1}, "0 -1 nan inf 1e300 1e-300 BIG x"),
}


CASES = [
    (parse, option, value, outcome)
    for (parse, option), (taken, refused) in OUTCOMES.items()
    for value, outcome in [*taken.items(), *((BIG if word == "BIG" else word, SystemExit) for word in refused.split())]
]


@pytest.mark.parametrize("parse, option, value, outcome", CASES, ids=lambda item: getattr(item, "__name__", str(item)))
def test_each_option_value_is_taken_as_it_is_or_is_a_usage_error(parse, option, value, outcome, capsys):
    if outcome is SystemExit:
        with pytest.raises(SystemExit) as exit:
            parse(None, [option, value])
        assert exit.value.code == 2
        error = capsys.readouterr().err.splitlines()
        assert len(error) == 1 and ": error: " in error[0] and option in error[0], error
    else:
        taken = getattr(parse(None, [option, value]), option[2:].replace("-", "_"))
        assert taken == outcome and type(taken) is type(outcome), (taken, outcome)


@pytest.mark.parametrize(
    "parse, argv, says",
    [
        (options.video_server, ["--width", "-1"], "argument --width: -1 is not a whole number of at least 1"),
        (options.video_server, ["--frames", "0"], "argument --frames: 0 is not a whole number of at least 1"),
        (options.video_client, ["--frames", "0"], "argument --frames: 0 is not a whole number of at least 1"),
        (options.video_server, ["--jpeg", "-1"], "argument --jpeg: -1 is not a JPEG quality from 1 to 100"),
    ],
)
def test_a_negative_width_a_zero_frame_count_and_a_negative_jpeg_quality_are_usage_errors_that_say_why(
    parse, argv, says, capsys
):
    with pytest.raises(SystemExit) as exit:
        parse(None, argv)
    assert exit.value.code == 2
    error = capsys.readouterr().err.splitlines()
    assert len(error) == 1 and error[0].endswith(f": error: {says} (see --help)"), error
