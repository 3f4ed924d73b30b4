"""Demo reviews: generated from phrase banks, deterministic for a seed. No real people: the
authors are initials-style display names made up here."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

FIRST = [
    "Alex",
    "Sam",
    "Jordan",
    "Taylor",
    "Morgan",
    "Casey",
    "Riley",
    "Jamie",
    "Avery",
    "Quinn",
    "Drew",
    "Reese",
    "Rowan",
    "Skyler",
    "Emerson",
    "Harper",
    "Logan",
    "Parker",
    "Sage",
    "Blake",
]

OPENERS = {
    5: [
        "Fantastic experience.",
        "Could not be happier.",
        "Highly recommend this practice.",
        "Best clinic I have been to.",
        "Five stars, no hesitation.",
    ],
    4: ["Good experience overall.", "Very pleased.", "Solid practice.", "Mostly great."],
    3: ["It was okay.", "Mixed feelings.", "Average visit.", "Some good, some not so good."],
    2: ["Disappointing.", "Not what I expected.", "Frustrating afternoon.", "Below par."],
    1: ["Terrible experience.", "Avoid.", "Worst clinic in town.", "Really upset after today."],
}
GOOD = [
    "The front desk team was friendly and got me checked in quickly.",
    "I was seen within ten minutes of my appointment time.",
    "The staff explained every step and answered all my questions.",
    "Booking online was easy and I got a slot the same week.",
    "The waiting room was spotless and calm.",
    "Parking was easy and the building is accessible.",
    "Billing was clear and they sorted my insurance paperwork for me.",
    "The nurse was gentle and reassuring.",
    "They called the next day to check how I was doing.",
    "Everyone was kind to my kids.",
]
BAD = [
    "I waited over an hour past my appointment time with no update.",
    "The receptionist was rude and dismissive when I asked a question.",
    "Nobody returned my calls for three days.",
    "I was charged twice and billing keeps sending me in circles.",
    "They cancelled my appointment the night before and the next slot is in six weeks.",
    "The waiting room was dirty and the bathroom had no soap.",
    "Parking is impossible and the lift was out of order.",
    "I felt rushed and my concerns were brushed off.",
    "My insurance was not processed correctly and now I owe hundreds.",
    "Nobody explained the cost before the treatment.",
]
SPECIALTY = {
    "dental": {
        "good": [
            "My cleaning was thorough and painless.",
            "The hygienist was wonderful.",
            "They fixed my chipped tooth in one visit.",
        ],
        "bad": [
            "The filling fell out a week later.",
            "My gums were sore for days after the cleaning.",
            "They pushed an expensive whitening package on me.",
        ],
    },
    "dermatology": {
        "good": [
            "The dermatologist took time to look at every spot.",
            "My skin has never looked better.",
            "Clear advice on sunscreen and follow-up.",
        ],
        "bad": [
            "Waited weeks for biopsy results with no call.",
            "The cream they prescribed made the rash worse.",
            "Felt like a sales pitch for cosmetic treatments.",
        ],
    },
    "pediatrics": {
        "good": [
            "The doctor was brilliant with my toddler.",
            "Vaccines done quickly and my son barely noticed.",
            "They fit us in the same day when my daughter had a fever.",
        ],
        "bad": [
            "We waited with a sick baby for 90 minutes.",
            "Nobody washed their hands before examining my child.",
            "The nurse was impatient with my nervous daughter.",
        ],
    },
}
SURGE_MINUTES = 100
SURGE = [
    "Heard from three parents that kids got sick after visiting this week. What is going on?",
    "Is it true there was an outbreak at this clinic? Nobody is telling us anything.",
    "Waited two hours, staff were rude, and now I hear others got sick too. Avoid.",
    "Posting this so others are warned: dirty waiting room and sick kids everywhere.",
    "Called to ask about the rumours and they hung up on me.",
]


def _text(rng: random.Random, rating: int, specialty: str) -> str:
    bank = SPECIALTY.get(specialty, SPECIALTY["dental"])
    parts = [rng.choice(OPENERS[rating])]
    if rating >= 4:
        parts += rng.sample(GOOD, 2) + [rng.choice(bank["good"])]
    elif rating == 3:
        parts += [rng.choice(GOOD), rng.choice(BAD)]
    else:
        parts += rng.sample(BAD, 2) + [rng.choice(bank["bad"])]
    return " ".join(parts[: rng.randint(2, len(parts))])


RATING_WEIGHTS = (45, 22, 10, 9, 14)  # 5, 4, 3, 2 and 1 star: about 3.8 on average


def demo_reviews(
    *,
    seed: int,
    specialty: str,
    count: int,
    now: datetime,
    days: int = 90,
    surge: int = 0,
    weights: tuple[int, ...] = RATING_WEIGHTS,
) -> list[dict]:
    """`count` reviews over the last `days` days (`weights`: how often each of 5, 4, 3, 2 and
    1 star is drawn, so that each clinic has its own average), plus `surge` negative mentions
    in the last SURGE_MINUTES (a crisis to find: inside the surge detector's default two-hour window, so
    scoring them opens the incident; spread over six hours, they never reached its minimum)."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        rating = rng.choices([5, 4, 3, 2, 1], weights=weights)[0]
        published = now - timedelta(days=rng.uniform(0, days), minutes=rng.randint(0, 600))
        out.append(
            {
                "external_id": f"demo-{seed}-{i}",
                "author_name": f"{rng.choice(FIRST)} {chr(65 + rng.randint(0, 25))}.",
                "rating": rating,
                "text": _text(rng, rating, specialty),
                "published_at": published,
                "likes": rng.randint(0, 4),
            }
        )
    for j in range(surge):
        out.append(
            {
                "external_id": f"demo-{seed}-surge-{j}",
                "author_name": f"{rng.choice(FIRST)} {chr(65 + rng.randint(0, 25))}.",
                "rating": None,
                "kind": "mention",
                "text": rng.choice(SURGE),
                "published_at": now - timedelta(minutes=rng.randint(5, SURGE_MINUTES)),
                "likes": rng.randint(5, 80),
                "shares": rng.randint(0, 30),
            }
        )
    return out
