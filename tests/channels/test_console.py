from __future__ import annotations

import io

import pytest

from winlang.channels.console import ConsoleChannel
from winlang.contracts.errors import ChannelError
from winlang.contracts.message import Outcome
from winlang.testing import make_message


def test_prints_each_message_readably():
    out = io.StringIO()
    channel = ConsoleChannel.from_settings("sms", {"stream": out})
    channel.send([make_message(subject=None, body=None, text="Hi Ada", to="+4912345")])
    assert out.getvalue() == "--- email to +4912345 [test/win_back/1/0]\nHi Ada\n"


def test_stdout_by_default(capsys):
    [result] = ConsoleChannel.from_settings("sms", {}).send([make_message()])
    assert result.outcome is Outcome.SENT
    assert "Subject: We miss you" in capsys.readouterr().out


def test_a_closed_stream_is_temporary():
    out = io.StringIO()
    out.close()
    [result] = ConsoleChannel(out).send([make_message()])
    assert result.outcome is Outcome.TEMPORARY


def test_bad_stream_names_the_key():
    with pytest.raises(ChannelError, match="`stream`"):
        ConsoleChannel.from_settings("sms", {"stream": "printer"})


def test_customer_values_can_not_drive_the_terminal():
    out = io.StringIO()
    name = "Ana\x1b]52;c;ZXZpbA==\x07\x1b[2J"  # write the clipboard, clear the screen
    ConsoleChannel(stream=out).send([make_message(body=f"Hi {name}\r\nbye", subject=name)])
    printed = out.getvalue()
    assert "\x1b" not in printed and "\x07" not in printed and "\r" not in printed
    assert "Subject: Ana\\x1b]52;c;ZXZpbA==\\x07\\x1b[2J" in printed
    assert printed.endswith("bye\n")
