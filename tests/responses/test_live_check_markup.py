"""The editors' live check reports markup (HTML, Markdown or BBCode links), which saving
refuses, as a blocking finding in the words of that refusal, and "Apply all fixes" takes it out
on the single editor (the compliance fix) and on the batch page, even when the privacy check
finds nothing else."""

from __future__ import annotations

import json

import pytest

from responses.services.replies import markup_refusal
from tests.responses.conftest import review_in
from tests.responses.test_batches import _claim

BASE = "/clinics/clinic-a"
HTML = "<b>Thank you</b> for your kind words about our team."
LINK = "Thank you for your kind words. Read more on [our website](https://example.com/news)."
BBCODE = "Thank you for your kind words. See [url=https://example.com]our news[/url]."


@pytest.mark.parametrize(
    ("text", "first"),
    [(HTML, "<b>"), (LINK, "[our website](https://example.com/news)"),
     (BBCODE, "[url=https://example.com]our news[/url]")],
    ids=["html", "markdown-link", "bbcode-link"],
)  # fmt: skip
def test_the_live_check_reports_markup_in_the_words_saving_refuses_it_with(
    clinic_a, as_user, text, first
):
    review = review_in(clinic_a, text="Lovely staff.")
    viewer = as_user("a_viewer", clinic_a)

    result = viewer.post("compliance/check", {"text": text, "review_id": review.pk}).json()

    assert result["verdict"] == "block"
    markup = result["findings"][0]
    assert markup == {
        "start": text.index(first), "end": text.index(first) + len(first), "text": first,
        "kind": "markup", "subtype": "markup", "severity": "block",
        "message": markup_refusal(text).fields["text"][0],
        "suggestion": "Apply all fixes takes the markup out; a link keeps its words.",
        "probability": None,
    }  # fmt: skip
    assert markup["message"].startswith("Replies are posted as plain text: remove the markup ")
    assert [f for f in result["findings"] if f["kind"] == "markup"] == [markup]


def test_a_statement_check_says_statements_are_published(clinic_a, as_user):
    result = as_user("a_viewer", clinic_a).post(
        "compliance/check", {"text": "Update\n\n<i>We are open.</i>", "purpose": "statement"}
    )
    finding = result.json()["findings"][0]
    assert finding["kind"] == "markup"
    assert finding["message"] == (
        "Statements are published as plain text: remove the markup <i> and </i>."
    )


def test_plain_text_has_no_markup_finding(clinic_a, as_user):
    result = as_user("a_viewer", clinic_a).post(
        "compliance/check", {"text": "Thank you <3, we are glad a < b holds."}
    )
    assert result.json() == {"verdict": "ok", "findings": []}


@pytest.mark.parametrize(
    ("text", "plain"),
    [(HTML, "Thank you for your kind words about our team."),
     (LINK, "Thank you for your kind words. Read more on our website."),
     (BBCODE, "Thank you for your kind words. See our news.")],
    ids=["html", "markdown-link", "bbcode"],
)  # fmt: skip
def test_apply_all_on_markup_alone_gives_plain_text_that_passes(clinic_a, as_user, text, plain):
    review = review_in(clinic_a, text="Lovely staff.")
    writer = as_user("alpha_writer", clinic_a)

    fixed = writer.post("compliance/fix", {"text": text, "review_id": review.pk}).json()

    assert fixed["text"] == plain and fixed["changes"]
    assert markup_refusal(fixed["text"]) is None
    checked = writer.post("compliance/check", {"text": fixed["text"], "review_id": review.pk})
    assert checked.json() == {"verdict": "ok", "findings": []}


def _post(client, url: str, body: dict) -> dict:
    response = client.post(url, json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


def test_the_batch_page_reports_markup_and_its_apply_all_takes_it_out(clinic_a, as_user, login):
    cluster_id, _ids = _claim(clinic_a, 3)
    bid = as_user("alpha_writer", clinic_a).post("reply-batches/", {"cluster_id": cluster_id})
    bid = bid.json()["id"]
    writer = login("alpha_writer")
    text = "{greeting} thank you for raising this. <b>Please call us at {contact_line}.</b>"

    checked = _post(writer, f"{BASE}/replies/batches/{bid}/", {"text": text})
    fixed = _post(writer, f"{BASE}/replies/batches/{bid}/fix/", {"text": text})

    # the check: one blocking markup finding over the first tag, in the refusal's words
    assert checked["verdict"] == "block"
    markup = [f for f in checked["findings"] if f["kind"] == "markup"]
    assert [(f["text"], f["start"], f["message"]) for f in markup] == [
        (
            "<b>",
            text.index("<b>"),
            "Replies are posted as plain text: remove the markup <b> and </b>.",
        )
    ]
    assert checked["problems"] == []  # said once, as the finding
    # the fix: the markup out, the variables kept, and nothing left to refuse
    assert (
        fixed["text"] == "{greeting} thank you for raising this. Please call us at {contact_line}."
    )
    assert fixed["changes"] and fixed["verdict"] != "block"
    assert not [f for f in fixed["findings"] if f["kind"] == "markup"]
    assert markup_refusal(fixed["text"]) is None
