"""The option groups on their own: what each script's options are made of, and what they make of
what is typed."""

from __future__ import annotations

import pytest

from pubsub_demo.cli import groups, options


def flags(parser) -> set[str]:
    return {flag for action in parser._actions for flag in action.option_strings}


def test_each_group_adds_its_options():
    parser = groups.common("doc", prog="x.py")
    assert flags(parser) == {"-h", "--help", "--log-file"}
    groups.server(parser, "tcp://127.0.0.1:5687")
    assert flags(parser) >= {"--bind", "--share", "--pickle", "--curve"}
    parser = groups.common("doc", prog="x.py")
    groups.client(parser, "tcp://127.0.0.1:5687")
    groups.video_source(parser)
    groups.window(parser, position=False)
    assert flags(parser) == {
        "-h", "--help", "--log-file", "--connect", "--pickle", "--curve", "--silence",
        "--video", "--fps", "--width", "--height", "--jpeg", "--raw", "--frames", "--no-window", "--print-frames",
    }  # fmt: skip


def test_every_option_has_help_and_a_default_that_works():
    for parse in (options.numbers_server, options.numbers_client, options.video_server, options.video_client,
                  options.relay):  # fmt: skip
        args = parse(None, [])  # the bare command
        assert args.log_file.name == "errors_log.log"


def test_share_binds_every_interface_on_the_port_asked_for():
    assert options.numbers_server(None, ["--share"]).bind == "tcp://*:5687"
    assert options.video_server(None, ["--share", "--bind", "tcp://127.0.0.1:7000"]).bind == "tcp://*:7000"
    assert options.relay(None, ["--share", "--connect", "tcp://10.0.0.1:5688"]).bind == "tcp://*:5688"
    assert options.relay(None, []).bind == options.RELAY_ADDRESS


def test_share_needs_a_tcp_address(capsys):
    with pytest.raises(SystemExit) as exit:
        options.numbers_server(None, ["--share", "--bind", "ipc:///tmp/x.sock"])
    assert exit.value.code == 2
    assert "--share needs a tcp:// address" in capsys.readouterr().err


def test_no_window_means_no_window():
    assert options.video_client(None, []).window is True
    assert options.video_client(None, ["--no-window"]).window is False


@pytest.mark.parametrize(
    "argv, says",
    [(["--pickle", "--jpeg", "80"], "cannot be combined with --jpeg"),
     (["--width", "16000", "--height", "16000"], "larger than a client accepts")],
)  # fmt: skip
def test_what_no_video_server_can_send_is_a_usage_error(argv, says, capsys):
    with pytest.raises(SystemExit) as exit:
        options.video_server(None, argv)
    assert exit.value.code == 2
    assert says in capsys.readouterr().err
