"""Usage errors as a student meets them: the real scripts, one line, exit code 2."""

from __future__ import annotations

import pytest

from support.paths import ROOT


@pytest.mark.parametrize(
    "script, option, example",
    [
        ("video_transmission/client1.py", "--connect", "tcp://127.0.0.1:5688"),
        ("video_transmission/server.py", "--bind", "tcp://127.0.0.1:5688"),
        ("random_numbers_transmission/client3.py", "--connect", "tcp://127.0.0.1:5687"),
        ("relay.py", "--connect", "tcp://127.0.0.1:5688"),
        ("relay.py", "--bind", "tcp://127.0.0.1:5689"),
        ("web.py", "--connect", "tcp://127.0.0.1:5688"),
    ],
)
def test_a_bad_address_is_shown_the_scripts_own_address_as_an_example(run, script, option, example):
    process = run(ROOT / script, option, "5688")  # the port alone: a student's usual slip
    assert process.wait() == 2
    assert process.stderr == [
        f"{script.rsplit('/', 1)[-1]}: error: argument {option}: '5688' is not an address like {example} (see --help)"
    ]
