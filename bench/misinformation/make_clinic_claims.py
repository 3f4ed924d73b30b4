"""Writes clinic_claims.jsonl: hand-written mentions about two clinics (their fact sheets are in
fact_sheets.json), each labelled false_claim / true_claim / opinion, grouped by proposition.

The held-out split is whole groups (a salted hash of the group id), so no paraphrase of a
held-out proposition is ever trained on, tuned on or read while writing a rule. Noise (case,
typos, hashtags, emoji, forwarded-message framing) is added deterministically per row.

    python bench/misinformation/make_clinic_claims.py
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
HELDOUT_PERCENT = 30

D, P = "riverside-family-dental", "lakeview-pediatrics"
NAMES = {
    D: ["Riverside Family Dental", "Riverside Dental", "riverside family dental", "Riverside"],
    P: ["Lakeview Pediatrics", "Lakeview Peds", "lakeview pediatrics", "Lakeview"],
}
DOCTORS = {
    D: ["Dr. Patel", "Dr Okafor", "Dr. Maya Patel"],
    P: ["Dr. Kim", "Dr Moreno", "Dr. Sarah Kim"],
}
NURSES = {D: ["the hygienist", "Jenna"], P: ["Nurse Amy", "the nurse"]}

# (group id, clinic, fact slug, false claims, true claims, opinions / experiences)
GROUPS = [
    (
        "d-needles",
        D,
        "single-use-needles",
        [
            "{c} reuses needles on patients.",
            "PSA: {c} reuses needles to save money. I saw the hygienist take the same needle out of a drawer.",
            "they re-use the syringes at {c}, a friend who worked there told me",
            "Heard {c} uses the same needle on more than one patient. Disgusting.",
            "{c} puts used needles back in the tray and uses them again on the next person",
            "My sister saw them rinse a needle and reuse it at {c}!!! share this",
            "Needles at {c} are not single use, they just wipe them with alcohol",
        ],
        [
            "{c} opened a brand new sealed needle in front of me.",
            "At {c} the needle came out of a sealed pack and went straight into the sharps box.",
            "They use single-use needles at {c}, I watched them open it.",
            "{c} throws every needle away after one use.",
        ],
        [
            "I hate needles but the numbing at {c} barely hurt.",
            "Was so nervous about the injection, {dr} talked me through it.",
            "The shot for my filling at {c} took a while to kick in.",
            "Needle phobia here, {nurse} was super patient with me.",
        ],
    ),
    (
        "d-steril",
        D,
        "instrument-sterilisation",
        [
            "{c} doesn't sterilise its instruments, they just wipe them between patients.",
            "The tools at {c} are dirty and never go in an autoclave.",
            "I have it on good authority that {c} skips sterilisation when they are busy",
            "{c}'s autoclave has been broken for months and they still see patients",
            "they used a dirty mirror with someone elses blood on it at {c}",
            "Don't go to {c}, the drills aren't cleaned between patients.",
        ],
        [
            "{c} sterilises every instrument in an autoclave after each patient.",
            "The instruments at {c} came out of a sealed sterilisation pouch.",
            "{c} showed me their sterilisation room and the log they keep for every cycle.",
            "Tools at {c} are autoclaved between patients, they even test the machine weekly.",
        ],
        [
            "{c} is spotless, honestly the cleanest dental office I've been to.",
            "The waiting room at {c} could use a deep clean tbh.",
            "Loved how tidy everything looked at {c}.",
            "The treatment room felt a bit cramped but clean enough.",
        ],
    ),
    (
        "d-licence",
        D,
        "licences",
        [
            "{dr} at {c} has no licence.",
            "{dr} isn't a real dentist, their license was revoked years ago",
            "{c} lets unlicensed assistants do fillings.",
            "Did you know {c}'s hygienist is not licensed? Look it up",
            "{dr} lost her license and is practicing illegally at {c}",
            "None of the dentists at {c} are actually licensed in Oregon.",
        ],
        [
            "{dr} is licensed, I checked the Oregon Board of Dentistry register.",
            "All the dentists at {c} have current licences on the state board website.",
            "Their hygienist is licensed, it's on the state register.",
            "I looked up {dr} and her licence is current.",
        ],
        [
            "{dr} really knows what she is doing.",
            "Not sure {dr} listened to me at all.",
            "{dr} explained every step, very professional.",
            "The new dentist at {c} seemed a bit inexperienced to me.",
        ],
    ),
    (
        "d-prices",
        D,
        "prices",
        [
            "{c} charges $400 for a basic cleaning.",
            "{c} doesn't accept any insurance at all, cash only.",
            "They refuse Medicaid kids at {c}.",
            "{c} charges hidden fees after every checkup, a cleaning ends up at $350",
            "Riverside stopped taking the Oregon Health Plan for children, don't bother",
            "A checkup at {c} costs over $300 without insurance",
        ],
        [
            "A cleaning and checkup at {c} was $95 without insurance.",
            "{c} took my Delta Dental insurance no problem.",
            "They accept OHP for kids at {c}.",
            "{c} charged exactly what they quoted, $95 for the check-up.",
        ],
        [
            "Dental care is so expensive everywhere these days.",
            "The front desk at {c} was great at explaining my bill.",
            "Wish {c} had payment plans for bigger work.",
            "Billing was a bit confusing but they sorted it out.",
        ],
    ),
    (
        "d-fluoride",
        D,
        "fluoride-varnish",
        [
            "The fluoride {c} paints on kids' teeth is poison.",
            "{c} uses fluoride that lowers your child's IQ.",
            "Fluoride varnish at {c} is toxic and they put way too much on",
            "{c} is poisoning children with fluoride, do your research",
            "The fluoride treatment at {c} causes cancer in kids.",
        ],
        [
            "{c} used a fluoride varnish on my toddler, the amount the ADA recommends.",
            "The fluoride varnish at {c} is safe from the first tooth, they explained it.",
            "{c} applies fluoride varnish at the recommended dose.",
        ],
        [
            "My son hated the taste of the fluoride stuff lol.",
            "Not a fan of fluoride personally but the staff were respectful when I declined.",
            "They asked before doing the fluoride treatment, appreciated that.",
            "Fluoride or not, my kid's teeth look great after the visit.",
        ],
    ),
    (
        "d-xray",
        D,
        "xray-safety",
        [
            "{c} blasts you with a dangerous dose of radiation from their old x-ray machine.",
            "{c} doesn't give you a lead apron for x-rays.",
            "The x-rays at {c} gave my daughter radiation poisoning",
            "Their x ray machine leaks radiation, the staff all leave the room for a reason",
        ],
        [
            "{c} uses digital x-rays with a very low dose.",
            "I got a lead apron and a thyroid collar for my x-rays at {c}.",
            "They offered a lead apron before the x-rays at {c}.",
        ],
        [
            "The x-ray bite thing made me gag, not their fault.",
            "X-rays were quick and painless.",
            "I asked a lot of questions about the x-rays and {dr} answered all of them.",
        ],
    ),
    (
        "d-sedation",
        D,
        "sedation",
        [
            "{c} sedates kids without any monitoring.",
            "The person doing sedation at {c} has no permit.",
            "{c} overdosed a child on sedation last month and covered it up",
            "They put you under at {c} and nobody watches your oxygen.",
        ],
        [
            "During my sedation at {c} they monitored my oxygen and heart rate the whole time.",
            "{dr} has a sedation permit and explained the monitoring.",
            "They kept a pulse oximeter on me throughout the sedation at {c}.",
        ],
        [
            "Sedation made the whole wisdom tooth thing so much easier.",
            "I was groggy all afternoon after sedation but fine the next day.",
            "Really anxious patient here, the sedation option at {c} changed everything.",
        ],
    ),
    (
        "d-inspection",
        D,
        "inspection",
        [
            "{c} failed its health inspection and is about to be shut down.",
            "The health department closed {c} for infection control violations.",
            "{c} has never been inspected by anyone",
            "BREAKING: {c} shut down by the state for dirty equipment",
        ],
        [
            "{c} passed its health inspection this year with no violations.",
            "The Oregon Health Authority inspected {c} in March and found nothing.",
            "{c} passed its infection-control inspection.",
        ],
        [
            "The office is being renovated, a bit noisy.",
            "Parking at {c} is a nightmare.",
            "They moved to a new building, took me a while to find it.",
        ],
    ),
    (
        "d-gloves",
        D,
        "gloves-masks",
        [
            "The hygienist at {c} didn't change gloves between patients.",
            "{c} staff wear the same gloves all day",
            "They don't wear masks at {c} when they work on your mouth.",
            "saw {nurse} go straight from one patient to me without changing gloves at {c}",
        ],
        [
            "{nurse} put on fresh gloves and a new mask before starting.",
            "They changed gloves in front of me at {c}.",
            "Staff at {c} wear a new mask for every patient.",
        ],
        [
            "{nurse} was so gentle during the cleaning.",
            "The cleaning took forever but my teeth feel great.",
            "Best cleaning I've ever had honestly.",
        ],
    ),
    (
        "d-antibiotics",
        D,
        "antibiotics",
        [
            "{c} gives everyone antibiotics after a cleaning to make money.",
            "They hand out antibiotics like candy at {c}.",
            "{c} prescribed antibiotics for a simple cleaning, that's how they get kickbacks",
            "{dr} refuses antibiotics to everyone even with a serious infection",
        ],
        [
            "{dr} only prescribed antibiotics because I had an abscess.",
            "{c} didn't give antibiotics for my cleaning, said they're only for infections.",
            "They prescribed antibiotics for my tooth infection and explained why.",
        ],
        [
            "The antibiotics made my stomach upset.",
            "I wish they had told me more about the side effects of the medicine.",
            "Tooth infection cleared up quickly after the root canal.",
        ],
    ),
    (
        "d-hours",
        D,
        "hours",
        [
            "{c} is closed on Saturdays.",
            "{c} doesn't see emergencies, they told me to wait two weeks.",
            "{c} closes at 3pm every day",
            "Riverside never takes same-day emergencies",
        ],
        [
            "{c} is open Saturday mornings.",
            "{c} saw my cracked tooth the same day.",
            "They're open until 6 on weekdays at {c}.",
        ],
        [
            "Wish they had evening hours.",
            "Got an appointment quickly, which was nice.",
            "Had to wait 40 minutes past my appointment time.",
        ],
    ),
    (
        "d-water",
        D,
        "water-lines",
        [
            "The water at {c} comes straight from the sewer, their water lines are full of bacteria.",
            "{c} never cleans its dental water lines.",
            "Got sick from the dirty water they spray in your mouth at {c}",
        ],
        [
            "{c} tests their dental water lines every month.",
            "The water lines at {c} are treated daily, they told me when I asked.",
            "{c} keeps records of their water line tests.",
        ],
        [
            "The water spray was freezing cold lol.",
            "My mouth felt super dry after the visit.",
            "The suction thing was really loud.",
        ],
    ),
    (
        "p-expired",
        P,
        "vaccine-storage",
        [
            "{c} gives kids expired vaccines.",
            "They gave my son an expired flu shot at {c}!!",
            "{c} uses vaccines that have gone bad because their fridge is broken",
            "Lakeview keeps vaccines in a regular kitchen fridge next to lunches",
            "Found out {c} gave my daughter an out of date MMR shot",
            "{c} doesn't check expiration dates on the shots",
        ],
        [
            "{nurse} checked the expiry date on the vial before giving the shot.",
            "{c} keeps vaccines in a monitored medical fridge.",
            "They showed me the vaccine was in date before giving it at {c}.",
            "{c} checks every vaccine's expiration date, the nurse read it out to me.",
        ],
        [
            "My daughter cried during her shots but {nurse} was great.",
            "Vaccine day is always rough in our house.",
            "The nurse was quick with the shots, barely any tears.",
            "Took forever to get the vaccine appointment but worth it.",
        ],
    ),
    (
        "p-vfc",
        P,
        "vfc-program",
        [
            "The free VFC vaccines at {c} are cheap knockoffs.",
            "{c} charges for vaccines that are supposed to be free under VFC.",
            "{c} gives Medicaid kids lower quality vaccines than paying patients",
            "Lakeview doesn't take part in Vaccines for Children, they make you pay",
        ],
        [
            "My kids got their vaccines free through VFC at {c}.",
            "{c} is a VFC provider, the vaccines are the same ones as the paid ones.",
            "{c} gave my son his shots through the Vaccines for Children program.",
        ],
        [
            "So grateful for free vaccines for our family.",
            "The front desk helped me understand what insurance covers.",
            "Paperwork for the vaccine program was a bit much.",
        ],
    ),
    (
        "p-needles",
        P,
        "single-use-needles",
        [
            "{c} reuses needles on children.",
            "They used the same needle on my twins at {c}.",
            "{c} recycles syringes between kids to cut costs",
            "nurse at {c} reused a needle for my sons second shot, I saw it",
        ],
        [
            "{nurse} opened a new sealed needle for each shot.",
            "{c} used a new needle for each of my twins.",
            "Every shot at {c} had its own new needle.",
        ],
        [
            "The nurse was amazing with my needle-phobic kid.",
            "Bandaids with dinosaurs on them, my son was thrilled.",
            "Shots are never fun but they were quick.",
        ],
    ),
    (
        "p-licence",
        P,
        "licences",
        [
            "{dr} at {c} isn't even a licensed doctor.",
            "Lakeview hires nurses without licenses.",
            "{dr} had her medical license suspended and still works at {c}",
            "{c} has an unlicensed fake doctor seeing kids",
        ],
        [
            "{dr} is a board-certified pediatrician with a current Illinois licence.",
            "I looked up the nurses at {c}, all licensed in Illinois.",
            "{dr}'s medical licence is current, it's on the state website.",
        ],
        [
            "{dr} is the best pediatrician we've had.",
            "{dr} seemed rushed and didn't listen.",
            "We love {dr}, so patient with our kids.",
        ],
    ),
    (
        "p-prices",
        P,
        "prices",
        [
            "{c} charges $500 for a sick visit.",
            "{c} bills you for well-child visits even with insurance.",
            "{c} won't tell you the price until after the visit",
            "A sick visit at Lakeview costs like 400 dollars self pay",
        ],
        [
            "A self-pay sick visit at {c} is $120.",
            "{c} gave me a written estimate before the visit.",
            "Our well-child visit at {c} was fully covered by insurance.",
        ],
        [
            "Healthcare costs in this country are insane.",
            "Billing office took a while to answer my email.",
            "The receptionist helped me with the insurance forms.",
        ],
    ),
    (
        "p-walkin",
        P,
        "walk-ins",
        [
            "{c} doesn't take walk-ins.",
            "{c} is closed on Saturdays so don't bother.",
            "Lakeview stopped doing walk in sick visits",
        ],
        [
            "{c} takes walk-ins in the morning on weekdays.",
            "We walked in at 9am and were seen at {c}.",
            "{c} is open on Saturdays.",
        ],
        [
            "The walk-in wait was long but fair.",
            "Waiting room had toys which helped.",
            "We waited an hour with a sick toddler, not fun.",
        ],
    ),
    (
        "p-antibiotics",
        P,
        "antibiotics",
        [
            "{c} gives antibiotics for every cold.",
            "{dr} refused antibiotics for my daughter's strep throat.",
            "{c} pushes antibiotics on kids for viral infections",
            "Lakeview never prescribes antibiotics even when your kid is really sick",
        ],
        [
            "{dr} prescribed antibiotics only after the strep test came back positive.",
            "{c} didn't give antibiotics for my son's cold, it was a virus.",
            "They tested for strep before giving antibiotics at {c}.",
        ],
        [
            "The antibiotic tasted awful, my son refused it.",
            "I really wanted antibiotics but {dr} explained why not.",
            "Glad my daughter felt better after a few days.",
        ],
    ),
    (
        "p-schedule",
        P,
        "vaccine-schedule",
        [
            "{c} gives too many vaccines at once and it overloads babies' immune systems.",
            "The vaccines at {c} caused my son's autism.",
            "{c} injects babies with mercury in their shots",
            "Lakeview's vaccines have microchips in them, wake up",
        ],
        [
            "{c} follows the CDC vaccine schedule.",
            "{dr} explained that several vaccines at one visit are tested together and safe.",
            "{c} gave my baby her two-month shots on the CDC schedule.",
        ],
        [
            "I was nervous about so many shots at once.",
            "{dr} took time to answer all my vaccine questions.",
            "We spaced out a couple of shots and they respected that.",
        ],
    ),
    (
        "p-hygiene",
        P,
        "hand-hygiene",
        [
            "{c} never cleans the exam rooms between sick kids.",
            "The doctors at {c} don't wash their hands between patients.",
            "my kid caught RSV from the dirty exam room at {c}, they never disinfect",
        ],
        [
            "They wiped down the exam room before we came in at {c}.",
            "{dr} sanitised her hands before and after examining my son.",
            "{c} disinfects the rooms between patients, I saw them do it.",
        ],
        [
            "The sick waiting room and well waiting room are separate, smart.",
            "Exam room was a bit cramped.",
            "Staff were lovely with my daughter.",
        ],
    ),
    (
        "p-inspection",
        P,
        "inspection",
        [
            "{c} failed its state inspection.",
            "The state is shutting down {c}.",
            "Lakeview was cited by public health for unsafe practices",
        ],
        [
            "{c} passed its state health inspection in January.",
            "The Illinois Department of Public Health inspected {c} and it passed.",
            "{c} passed its inspection this year.",
        ],
        [
            "New paint in the lobby, looks nice.",
            "They're expanding the clinic, exciting.",
            "Construction noise outside was annoying.",
        ],
    ),
    (
        "p-labs",
        P,
        "lab-tests",
        [
            "{c} makes up lab results without testing anything.",
            "The strep tests at {c} are fake, they say positive to sell antibiotics.",
            "{c} sends blood samples to an uncertified lab",
        ],
        [
            "{c} uses a certified lab for blood tests.",
            "{dr} reviewed the lab results before calling me.",
            "The strep test at {c} came back in ten minutes and {dr} went over it.",
        ],
        [
            "The blood draw was really hard on my son.",
            "Results took a couple of days, which felt long.",
            "The phlebotomist was so good with kids.",
        ],
    ),
]

# Opinions / experiences that relate to no fact: part of every split's negatives.
OPINIONS = [
    (
        "o-wait",
        D,
        [
            "Waited 45 minutes past my appointment at {c}.",
            "{c} is always running late.",
            "Never had to wait long at {c}, in and out in 30 min!",
        ],
    ),
    (
        "o-staff",
        D,
        [
            "The receptionist at {c} was rude to me on the phone.",
            "Everyone at {c} is so kind.",
            "{dr} is the best dentist in town!",
            "front desk lady at {c} had a serious attitude",
        ],
    ),
    (
        "o-pain",
        D,
        [
            "My tooth still hurts after the filling.",
            "Painless cleaning, highly recommend {c}.",
            "The crown {dr} did feels a bit high.",
        ],
    ),
    (
        "o-overall",
        D,
        [
            "Five stars for {c}!",
            "Would not recommend {c}.",
            "Meh. It's fine.",
            "Been going to {c} for 10 years, love them.",
        ],
    ),
    (
        "o-wait-p",
        P,
        [
            "Waited an hour with a screaming baby at {c}.",
            "{c} got us in fast for a sick visit.",
            "Appointments at {c} always run late.",
        ],
    ),
    (
        "o-staff-p",
        P,
        [
            "{dr} is amazing with kids.",
            "{nurse} was cold and dismissive.",
            "The front desk at {c} is the friendliest.",
            "{dr} made my anxious kid laugh.",
        ],
    ),
    (
        "o-overall-p",
        P,
        [
            "Best pediatric practice around.",
            "We're switching practices, not happy with {c}.",
            "Solid pediatrician, nothing special.",
            "Our family has loved {c} for years.",
        ],
    ),
    (
        "o-parking",
        P,
        [
            "Parking at {c} is terrible.",
            "Easy parking, right by the door.",
            "The elevator was broken again.",
        ],
    ),
]

PREFIXES = [
    "",
    "",
    "",
    "",
    "PSA: ",
    "Heads up, ",
    "FYI ",
    "Warning!! ",
    "Just so everyone knows, ",
    "Not sure if true but ",
    "Friend of mine says ",
]
SUFFIXES = [
    "",
    "",
    "",
    "",
    " Share this!",
    " #boycott",
    " 😡",
    " smh",
    " Spread the word.",
    " 🙏",
    " Just saying.",
    " !!!",
    " 👍",
    " :)",
    " lol",
]


def _typo(text: str, rnd: random.Random) -> str:
    words = text.split(" ")
    i = rnd.randrange(len(words))
    w = words[i]
    if len(w) > 4 and w.isalpha():
        j = rnd.randrange(1, len(w) - 2)
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


def noisy(text: str, kind: str, rnd: random.Random) -> str:
    # the same framing for every kind, so that no label can be read off the noise
    text = rnd.choice(PREFIXES) + text + rnd.choice(SUFFIXES)
    if rnd.random() < 0.25:
        text = text.lower()
    if rnd.random() < 0.2:
        text = text.replace("'", "")
    if rnd.random() < 0.25:
        text = _typo(text, rnd)
    return text.strip()


def fill(template: str, clinic: str, rnd: random.Random) -> str:
    return template.format(
        c=rnd.choice(NAMES[clinic]),
        dr=rnd.choice(DOCTORS[clinic]),
        nurse=rnd.choice(NURSES[clinic]),
    )


def side(group: str) -> str:
    digest = hashlib.sha256(("clinic-claims:" + group).encode()).digest()
    return "heldout" if int.from_bytes(digest[:8], "big") % 100 < HELDOUT_PERCENT else "train"


def build() -> list[dict]:
    rows = []
    for group, clinic, fact, false, true, opinions in GROUPS:
        rnd = random.Random(group)
        for kind, templates in (
            ("false_claim", false),
            ("true_claim", true),
            ("opinion", opinions),
        ):
            for k, template in enumerate(templates):
                for copy in range(2):
                    text = noisy(fill(template, clinic, rnd), kind, rnd)
                    rows.append(
                        {
                            "text": text,
                            "clinic": clinic,
                            "label": kind,
                            "fact": fact if kind != "opinion" else None,
                            "group": group,
                            "item": f"{group}/{kind}/{k}/{copy}",
                            "split": side(group),
                        }
                    )
    for group, clinic, templates in OPINIONS:
        rnd = random.Random(group)
        for k, template in enumerate(templates):
            for copy in range(2):
                rows.append(
                    {
                        "text": noisy(fill(template, clinic, rnd), "opinion", rnd),
                        "clinic": clinic,
                        "label": "opinion",
                        "fact": None,
                        "group": group,
                        "item": f"{group}/opinion/{k}/{copy}",
                        "split": side(group),
                    }
                )
    seen, out = set(), []
    for row in rows:  # a noisy copy that came out identical to another is kept once
        key = (row["clinic"], row["text"].lower())
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out


if __name__ == "__main__":
    from collections import Counter

    rows = build()
    with (HERE / "clinic_claims.jsonl").open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(len(rows), Counter((r["split"], r["label"]) for r in rows))
    print(sorted({r["group"] for r in rows if r["split"] == "heldout"}))
