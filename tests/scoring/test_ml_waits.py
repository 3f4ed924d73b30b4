"""A wait stated plainly decides the wait_time label (scoring/ml/waits.py): long is negative,
forgiven or not; none or short is positive; a moderate, unjudged wait is neutral; a duration
that is not a wait (the visit's length, a drive) is not read."""

from __future__ import annotations

import pytest

from scoring.ml.waits import stated_wait

CASES = [
    ("The wait was over two hours.", "negative"),
    ("We waited two hours past our appointment time.", "negative"),
    ("Took forever to get seen (over 2 hrs in the waiting room) but the care was excellent.",
     "negative"),
    ("They were running 2 hours behind and didn't tell anyone.", "negative"),
    ("The doctor runs late constantly, I'm talking 45 minutes plus.", "negative"),
    ("The wait times are long, usually an hour, but she's worth it.", "negative"),
    ("I sat forever in the waiting room, which I kind of expected for a walk in.", "negative"),
    ("Finally saw the doctor after 3 hours.", "negative"),
    ("The wait was an hour and a half.", "negative"),
    ("The wait to get in though, wow, 40 minutes past my appointment time.", "negative"),
    ("I've never been seen less than 45 min late.", "negative"),
    ("The wait was long but worth it.", "negative"),
    ("I waited maybe five minutes.", "positive"),
    ("No wait at all, I was called back before I finished my paperwork.", "positive"),
    ("I didn't have to wait at all.", "positive"),
    ("The wait? Non-existent.", "positive"),
    ("Was seen right on time, which never happens anywhere.", "positive"),
    ("Only waited 15 minutes!", "positive"),
    ("Wait was 15 min tops, and the doctor was friendly.", "positive"),
    ("I have never waited more than 10 minutes.", "positive"),
    ("No surprise bills, no hour-long waits, no attitude.", "positive"),
    ("I had to wait about 15 minutes, which is normal.", "neutral"),
    ("Not the worst wait I've had, maybe 25 minutes.", "neutral"),
    ("The 40 minute wait was about what I expected for a walk-in.", "neutral"),
    ("We waited half an hour.", "neutral"),
    # left to the model
    ("Worth the wait.", None),
    ("It was not a short wait.", None),
    ("Waited 20 minutes, which was annoying.", None),
    ("Felt weird, honestly, I'm used to an hour of waiting.", None),
    ("The nurse called me back within an hour.", None),
    ("She spent 45 minutes with me and answered every question.", None),
    ("Waited 4 weeks to see her, only 10 mins with her.", None),
    ("The surgery lasted 2 hours and went well.", None),
    ("Close to an hour travel time and so worth it!", None),
    ("No wait, but we sat two hours in the lobby later.", None),  # both: not plain
    ("Never had any long wait times.", "positive"),
    ("I waited maybe 10 minutes if that to be seen.", "positive"),
    ("Our friends at another office book several hours off because of the wait.", None),
    ("I got stuck just a few hours before my appointment.", None),
    ("I was 10 mins late and the staff were gracious about the wait.", None),
    ("The only thing I don't like is punctuality, 15 min waiting that needs to improve.", None),
]  # fmt: skip


@pytest.mark.parametrize(("sentence", "label"), CASES)
def test_a_stated_wait(sentence, label):
    assert stated_wait(sentence) == label


def test_the_journey_is_not_the_wait():
    assert stated_wait("We drove 2 hours to get here and waited 50 minutes.") == "negative"
    assert stated_wait("It's an hour drive but no wait once you're there.") == "positive"


def test_odd_text_is_left_to_the_model():
    for text in ("", "wait", "9999999999 hours", "a" * 20_000, "wait\u2019s 5 mins"):
        assert stated_wait(text) in (None, "negative", "neutral", "positive")
