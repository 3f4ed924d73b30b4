"""Walk 12, finding 4: what people typed or reviews said reaches Slack and Teams as literal
text, never as markup. A watch word `<!channel> <https://evil.example|login>` must not notify
the channel nor show a disguised link in Slack (`&`, `<`, `>` escaped as Slack documents), a
`[login](https://evil.example)` must not become a link in a Teams card (Markdown escaped);
the links Carewatch makes itself (buttons, the follow-up's link) still work. Posted to the
local fake Slack and Teams receivers."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from clinics.alerting import chat_notice, slack_text, teams_text
from clinics.models import Clinic
from crisis.services import detector_settings_update, detectors_run, incident_notify_opened
from crisis.services.alerting import chat_webhook_set
from tests.crisis.conftest import NOW, acting
from tests.crisis.fake_chat import FakeChat

MIN = timedelta(minutes=1)
WORD = "<!channel> <https://evil.example|login> [login](https://evil.example) *now* & more"
SLACK_WORD = (
    "&lt;!channel&gt; &lt;https://evil.example|login&gt; [login](https://evil.example) "
    "*now* &amp; more"
)
TEAMS_WORD = (
    "\\<!channel\\> \\<https://evil.example|login\\> \\[login\\](https://evil.example) "
    "\\*now\\* & more"
)


@pytest.fixture
def fake_chat():
    chat = FakeChat().start()
    yield chat
    chat.stop()


@pytest.fixture
def hooks(clinic_a, fake_chat):
    for kind in ("slack", "teams"):
        chat_webhook_set(
            agency_id=clinic_a.agency_id, clinic=clinic_a, kind=kind,
            url=f"{fake_chat.base_url}/{kind}", actor=acting("test"),
        )  # fmt: skip
    return fake_chat


@pytest.mark.parametrize(
    ("text", "slack", "teams"),
    [
        ("<!here> & <@U123>", "&lt;!here&gt; &amp; &lt;@U123&gt;", "\\<!here\\> & \\<@U123\\>"),
        ("a_b *c* ~d~ `e` \\f", "a_b *c* ~d~ `e` \\f", "a\\_b \\*c\\* \\~d\\~ \\`e\\` \\\\f"),
        ("- item\n1. first\n  2) second", "- item\n1. first\n  2) second",
         "\\- item\n1\\. first\n  2\\) second"),
        ("Dr. Lee, 2 p.m. - 3 p.m. (#4)", "Dr. Lee, 2 p.m. - 3 p.m. (#4)",
         "Dr. Lee, 2 p.m. - 3 p.m. (#4)"),
    ],
    ids=["mentions", "formatting", "lists-at-line-start", "ordinary-punctuation"],
)  # fmt: skip
def test_each_chat_escapes_its_own_markup_and_leaves_ordinary_text(text, slack, teams):
    assert slack_text(text) == slack
    assert teams_text(text) == teams


def test_a_watch_word_reaches_slack_and_teams_as_literal_text(
    clinic_a, stream, hooks, django_capture_on_commit_callbacks
):
    # given a watch word holding Slack and Teams markup, and a mention that uses it
    detector_settings_update(actor=acting("test"), watch_words=[WORD])
    stream.add(NOW - 5 * MIN, label="negative", text=f"They wrote {WORD} on the wall")
    [incident] = detectors_run(now=NOW, notify=False)

    # when the alert goes out
    with django_capture_on_commit_callbacks(execute=True):
        incident_notify_opened(incident_id=incident.pk)

    # then Slack gets it escaped in the notification text and the mrkdwn section: no mention,
    # no link of the word's own
    [slack] = hooks.to("/slack")
    raw = json.dumps(slack["json"])
    assert "<!channel>" not in raw and "<https://evil.example" not in raw
    assert SLACK_WORD in slack["json"]["text"]
    section = slack["json"]["blocks"][1]["text"]
    assert section["type"] == "mrkdwn"
    assert section["text"].startswith(f":warning: *Watch word “{SLACK_WORD}”: 1 mention*\n")
    assert f"the watch word “{SLACK_WORD}”" in section["text"]
    # and its own buttons still lead to the acknowledge link and the room
    buttons = slack["json"]["blocks"][2]["elements"]
    assert "/alerts/ack/" in buttons[0]["url"]
    assert buttons[1]["url"].endswith(f"/clinics/clinic-a/incidents/{incident.pk}/")
    # and the Teams card has the word with its Markdown escaped, in the title and the trigger
    [teams] = hooks.to("/teams")
    card = teams["json"]["attachments"][0]["content"]
    texts = [block["text"] for block in card["body"]]
    assert texts[1] == f"Watch word “{TEAMS_WORD}”: 1 mention"
    assert f"the watch word “{TEAMS_WORD}”" in texts[2]
    assert "[login](" not in json.dumps(card)
    assert [a["title"] for a in card["actions"]] == ["Acknowledge", "Open incident room"]


def test_names_in_a_chat_notice_are_literal_text(clinic_a):
    # a clinic's name and a person's, as the test message and the outbox notices put them
    clinic = Clinic(name="<!here> Clinic & Co", slug="x")
    slack = chat_notice(
        "slack", title=f"Test message · {clinic.name}", text="<@U1> sent [this](https://x.test)",
        button="Open", url="https://carewatch.test/a/",
    )  # fmt: skip
    assert slack["text"] == "Test message · &lt;!here&gt; Clinic &amp; Co"
    assert slack["blocks"][0]["text"]["text"] == (
        "*Test message · &lt;!here&gt; Clinic &amp; Co*\n&lt;@U1&gt; sent [this](https://x.test)"
    )
    assert slack["blocks"][1]["elements"][0]["url"] == "https://carewatch.test/a/"
    teams = chat_notice(
        "teams", title=f"Test message · {clinic.name}", text="<@U1> sent [this](https://x.test)",
        button="Open", url="https://carewatch.test/a/",
    )  # fmt: skip
    body = teams["attachments"][0]["content"]["body"]
    assert [b["text"] for b in body] == [
        "Test message · \\<!here\\> Clinic & Co",
        "\\<@U1\\> sent \\[this\\](https://x.test)",
    ]
