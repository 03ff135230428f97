"""The command language: parsed once, the same for every transport."""

import pytest

from warroom.commands.language import CommandError, help_text, is_command, parse


def test_declare_with_flags_and_apostrophes():
    command = parse("/incident declare We're down: sign-in fails --severity critical --customer-impact "
                    "--services auth,web --reporter Acme Corp support")
    assert command.name == "declare"
    assert command.text == "We're down: sign-in fails"
    assert command.flags == {"severity": "critical", "customer-impact": True, "services": "auth,web",
                             "reporter": "Acme Corp support"}


def test_role_takes_a_multi_word_name_and_a_person():
    command = parse("/incident role comms scribe @dan")
    assert (command.word, command.user) == ("comms scribe", "@dan")


def test_tried_keeps_result_text():
    command = parse("/incident tried restarting the indexer --result nothing changed, still 500s")
    assert command.text == "restarting the indexer"
    assert command.flags["result"] == "nothing changed, still 500s"


def test_incident_flag_names_the_incident_anywhere():
    command = parse("/incident status identified bad deploy --incident INC-7")
    assert (command.word, command.text, command.incident) == ("identified", "bad deploy", "INC-7")


def test_prefix_is_optional_and_case_insensitive():
    assert parse("incident LEAD @bob").name == "lead"
    assert parse("!incident ack").name == "ack"
    assert parse("/incident").name == "help"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/incident sevrity major", "Did you mean 'severity'?"),
        ("/incident lead", "Usage: /incident lead @user"),
        ("/incident lead @a @b", "Name exactly one person"),
        ("/incident declare down --sev critical", "has no option --sev"),
        ("/incident declare down --severity", "--severity needs a value"),
        ("/incident pin abc", "entry number"),
        ("/incident close now please", "takes no words"),
        ("/incident tried x --result", "--result needs some text"),
    ],
)
def test_mistakes_get_the_usage_line(text, expected):
    with pytest.raises(CommandError) as caught:
        parse(text)
    assert expected in caught.value.message
    assert caught.value.usage.startswith("/incident")


def test_help_lists_every_command_and_explains_one():
    everything = help_text()
    for name in ("declare", "lead", "messenger", "role", "ack", "status", "summary", "severity", "resolve",
                 "close", "help"):
        assert f"/incident {name}" in everything
    assert help_text("resolve").startswith("/incident resolve [--false-positive]")


def test_is_command():
    assert is_command("/incident ack")
    assert not is_command("the incident is bad")
    assert not is_command("")
