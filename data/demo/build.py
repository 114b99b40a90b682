"""Write the demo CSV files of this folder: the published facts below, plus seeded illustrative records.

Run `python data/demo/build.py` after changing it; a test checks that the committed files are its output.
Published facts (ARCHITECTURE.md, "Sources of the demo data") carry their source in the note or the evidence URL;
every invented record or date says "illustrative".
"""
from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
D = dt.date.fromisoformat
WVV = "wirvsvirus-2020"
HCC = "hackathon-covid-2021"
HACKATHON_END = D("2020-03-22")
ILLUSTRATIVE = "Illustrative date (demo data)."

# slug, name, challenge, source of the name, summary
WVV_REAL = [
    ("corona-school", "Corona School", "019", "faz.net; schule21.blog; rp-online.de; lern-fair.de",
     "Matches pupils with volunteer student tutors; live since 15/16 March 2020, now Lern-Fair."),
    ("inoeg", "InOeG (Innovationsverbund Oeffentliche Gesundheit)", "", "published-figures.md",
     "An association of hackathon projects that extended and connected SORMAS for health offices."),
    ("dunkelzifferradar", "DunkelzifferRadar", "", "prototypefund.de (2020-05-29)", ""),
    ("factsforfriends", "FactsforFriends", "", "prototypefund.de (2020-05-29)", ""),
    ("coverified", "CoVerified", "", "prototypefund.de (2020-05-29)", ""),
    ("digitales-wartezimmer", "Digitales Wartezimmer", "", "prototypefund.de (2020-05-29)", ""),
    ("remedymatch", "RemedyMatch", "", "hackathon winner; went on as an association", ""),
    ("sicher-test", "Sicher-Test", "", "hackathon winner", ""),
    ("print4life", "Print4Life", "", "hackathon winner", ""),
    ("coronav", "Coronav", "", "hackathon winner", ""),
    ("iris", "I.R.I.S.", "", "hackathon winner", ""),
    ("dealog", "DEalog", "", "hackathon winner", ""),
    ("ida", "IDA", "", "hackathon winner", ""),
    ("callvscorona", "CallvsCorona", "", "hackathon winner", ""),
    ("udo", "U:DO", "", "hackathon winner", ""),
    ("colivery", "Colivery", "", "hackathon winner", ""),
    ("machbarschaft", "Machbarschaft", "", "hackathon winner", ""),
    ("small-business-hero", "Small Business Hero", "", "hackathon winner", ""),
    ("wirfueruns", "Wirfueruns", "", "hackathon winner", ""),
    ("openlogistics", "Openlogistics", "", "hackathon winner", ""),
    ("fastbordercrossing", "Fastbordercrossing", "036", "hackathon winner", ""),
    ("wir-bleiben-liqui", "wir-bleiben-liqui.de", "009", "hackathon winner", ""),
    ("safemarket", "SafeMarket", "017", "submission title", ""),
    ("pandoa", "PANDOA", "008", "submission title", ""),
    ("checkdenfakt", "CheckDenFakt", "021", "submission title", ""),
    ("hilfstelefon", "Hilfstelefon", "010", "submission title", ""),
    ("ernteerfolg", "ErnteErfolg", "029", "submission title", ""),
    ("print4health", "print4health", "006", "submission title", ""),
    ("karmakurier", "KarmaKurier", "034", "submission title", ""),
]
WVV_CHALLENGES = ["001", "002", "003", "004", "005", "006", "008", "009", "010", "011", "012", "016", "017",
                  "018", "019", "021", "023", "024", "029", "031", "034", "036", "039", "046"]
GRANT = ("funded", D("2020-05-29"), "Federal research ministry grant, up to EUR 47,500 (prototypefund.de).")

# Corona School's published readings: metric, as of, value, source
CORONA_SCHOOL_READINGS = [
    ("registrations", "2020-03-22", 1000, "More than 1,000 users one week after launch."),
    ("tutors", "2020-03-31", 1300, "faz.net, March 2020 (day not published; month end used): >1,300 tutors."),
    ("pupils", "2020-03-31", 550, "faz.net, March 2020 (day not published; month end used): ~550 pupils."),
    ("pupils", "2020-05-13", 10000, "schule21.blog: >10,000 pupils."),
    ("tutors", "2020-05-13", 7500, "schule21.blog: ~7,500 tutors."),
    ("pupils", "2021-04-30", 20000, "rp-online.de, April 2021 (month end used): ~20,000 pupils. The programme "
     "article says 18,000."),
    ("tutors", "2021-04-30", 14000, "rp-online.de, April 2021 (month end used): ~14,000 tutors. The programme "
     "article says 13,000."),
    ("registrations", "2021-07-12", 30000, "lern-fair.de: >30,000 registrations."),
]

# Corona School's plan. No public source gives its goals, so these targets and milestones are illustrative: they
# show the project page's plan against actual beside its published reach. Targets: metric, due on, value, baseline
# on, baseline value, agreed on, note.
PLAN_NOTE = "Illustrative target (demo data): no published source gives Corona School's goals."
CORONA_SCHOOL_TARGETS = [
    ("pupils", "2020-12-31", 15000, "2020-05-13", 10000, "2020-06-15", PLAN_NOTE),
    ("tutors", "2020-12-31", 10000, "2020-05-13", 7500, "2020-06-15", PLAN_NOTE),
    ("pupils", "2021-12-31", 25000, "2020-05-13", 10000, "2021-01-15", PLAN_NOTE),
    ("tutors", "2021-12-31", 12000, "2020-05-13", 7500, "2021-01-15", PLAN_NOTE),
    ("pupils", "2021-12-31", 30000, "2020-05-13", 10000, "2021-05-15",
     "Raised after about 20,000 pupils in April 2021 (rp-online.de). " + PLAN_NOTE),
]
# Milestones: title, planned on, done on ("" if not done), note.
MILESTONE_NOTE = "Illustrative milestone and dates (demo data)."
CORONA_SCHOOL_MILESTONES = [
    ("Screening interview for every tutor", "2020-04-30", "2020-05-10", MILESTONE_NOTE),
    ("Matching of pupils and tutors automated", "2020-06-30", "2020-06-22", MILESTONE_NOTE),
    ("Study with partner schools on learning gains", "2022-06-30", "", MILESTONE_NOTE),
    ("Tutoring offered in every federal state", "2027-06-30", "", MILESTONE_NOTE),
]

HCC_REAL = [("covi-bulle", "Covi Bulle", "1"), ("memorial-covid", "Memorial Covid", "1"),
            ("mylongcovid", "MyLongCovid", "1"), ("magicien-dose", "Magicien Dose", "2"),
            ("climat-covid", "Climat Covid", "3"), ("pycoa", "PyCoA", "3")]

PROJECT_FIELDS = ["programme", "slug", "name", "challenge", "team", "summary", "website", "source", "illustrative"]
EVENT_FIELDS = ["project", "status", "effective_date", "recorded_at", "recorded_by", "note", "evidence_url"]
READING_FIELDS = ["project", "metric", "as_of", "value", "recorded_at", "recorded_by", "note", "evidence_url"]
TARGET_FIELDS = ["project", "metric", "due_on", "value", "baseline_on", "baseline_value", "set_on", "recorded_at",
                 "recorded_by", "note", "evidence_url"]
MILESTONE_FIELDS = ["project", "title", "planned_on", "done_on", "recorded_at", "recorded_by", "note", "evidence_url"]


def recorded(day: dt.date, rng: random.Random) -> str:
    """Entered a few days after it happened, as real updates are."""
    return f"{day + dt.timedelta(days=rng.randint(0, 20))}T{rng.randint(8, 19):02d}:00:00Z"


def day_between(rng: random.Random, first: str, last: str) -> dt.date:
    start, end = D(first), D(last)
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def build() -> tuple[list[dict], list[dict], list[dict]]:
    rng = random.Random(2020)
    projects, events, readings = [], [], []

    def event(slug: str, status: str, day: dt.date, note: str, url: str = "") -> None:
        events.append(dict(project=slug, status=status, effective_date=day, recorded_at=recorded(day, rng),
                           recorded_by="demo data", note=note, evidence_url=url))

    # #WirVsVirus: 1,500 records, 130 funded (111 by 10 June 2020), 30 launched by April 2021.
    for slug, name, challenge, source, summary in WVV_REAL:
        projects.append(dict(programme=WVV, slug=slug, name=name, challenge=challenge, team="", summary=summary,
                             website="", source=source, illustrative="false"))
    for n in range(1, 1501 - len(WVV_REAL)):
        projects.append(dict(programme=WVV, slug=f"wvv-illustrative-{n:04d}", name=f"Illustrative project {n:04d}",
                             challenge=rng.choice(WVV_CHALLENGES), team=f"Team {n:04d}", summary="", website="",
                             source="illustrative record (demo data)", illustrative="true"))
    for p in projects:
        event(p["slug"], "idea", HACKATHON_END, "Submitted at the hackathon.")

    funded_slugs = ["corona-school", "inoeg", "dunkelzifferradar", "factsforfriends", "coverified",
                    "digitales-wartezimmer", "remedymatch"]
    illustrative = [p["slug"] for p in projects if p["illustrative"] == "true"]
    funded_slugs += rng.sample(illustrative, 130 - len(funded_slugs))
    launched = set(["corona-school"] + rng.sample(funded_slugs[7:], 29))
    for i, slug in enumerate(funded_slugs):
        if slug in ("dunkelzifferradar", "factsforfriends", "coverified", "digitales-wartezimmer"):
            funded_on = GRANT[1]
            event(slug, "funded", funded_on, GRANT[2], "https://prototypefund.de/")
        else:
            # 111 of the 130 by 10 June 2020 (Bundestag, Drucksache 19/19674), the rest by 1 October 2020.
            funded_on = day_between(rng, "2020-04-15", "2020-06-10") if i < 111 else \
                day_between(rng, "2020-06-11", "2020-10-01")
            event(slug, "funded", funded_on, "In the follow-up programme. " + ILLUSTRATIVE)
        if slug == "corona-school":
            event(slug, "launched", funded_on, "Live since 15/16 March 2020, before the hackathon (faz.net); "
                  "recorded as launched on entering the programme.")
            continue
        started = funded_on + dt.timedelta(days=rng.randint(3, 30))
        event(slug, "in_development", started, ILLUSTRATIVE)
        if slug in launched:
            launched_on = day_between(rng, str(started + dt.timedelta(days=20)), "2021-04-30")
            event(slug, "launched", launched_on, ILLUSTRATIVE)
            if rng.random() < 0.3:
                ended = day_between(rng, "2021-09-01", "2024-06-30")
                event(slug, "discontinued", ended, "Service switched off. " + ILLUSTRATIVE)
                _people_reached(readings, rng, slug, launched_on, ended)
            else:
                _people_reached(readings, rng, slug, launched_on, D("2026-09-30"))
        elif rng.random() < 0.6:
            ended = day_between(rng, str(started + dt.timedelta(days=30)), "2022-12-31")
            event(slug, "discontinued", ended, "Team stopped after the programme. " + ILLUSTRATIVE)
            if rng.random() < 0.08:
                revived = ended + dt.timedelta(days=rng.randint(60, 400))
                event(slug, "in_development", revived, "Revived by a new team. " + ILLUSTRATIVE)
    for metric, as_of, value, note in CORONA_SCHOOL_READINGS:
        readings.append(dict(project="corona-school", metric=metric, as_of=as_of, value=value,
                             recorded_at=recorded(D(as_of), rng), recorded_by="demo data", note=note,
                             evidence_url=""))

    # Hackathon contre le Covid: 15 records; what happened after the hackathon is illustrative.
    french = [dict(programme=HCC, slug=s, name=n, challenge=c, team="", summary="", website="",
                   source="published project list", illustrative="false") for s, n, c in HCC_REAL]
    french += [dict(programme=HCC, slug=f"hcc-illustratif-{n:02d}", name=f"Projet illustratif {n:02d}",
                    challenge=str(1 + n % 4), team=f"Equipe {n:02d}", summary="", website="",
                    source="illustrative record (demo data)", illustrative="true") for n in range(1, 10)]
    for p in french:
        event(p["slug"], "idea", D("2021-04-24"), "Presented at the hackathon.")
    for slug, funded_on in (("hcc-illustratif-01", "2021-06-15"), ("hcc-illustratif-02", "2021-06-15"),
                            ("hcc-illustratif-03", "2021-09-01")):
        event(slug, "funded", D(funded_on), ILLUSTRATIVE)
    event("hcc-illustratif-01", "launched", D("2021-11-02"), ILLUSTRATIVE)
    event("hcc-illustratif-02", "discontinued", D("2022-03-31"), "Team stopped. " + ILLUSTRATIVE)
    projects += french
    return projects, events, readings


def plan() -> tuple[list[dict], list[dict]]:
    """Corona School's illustrative targets and milestones (no random numbers: the records above stay as they are)."""
    targets = [dict(project="corona-school", metric=metric, due_on=due_on, value=value, baseline_on=baseline_on,
                    baseline_value=baseline_value, set_on=set_on, recorded_at=f"{set_on}T10:00:00Z",
                    recorded_by="demo data", note=note, evidence_url="")
               for metric, due_on, value, baseline_on, baseline_value, set_on, note in CORONA_SCHOOL_TARGETS]
    milestones = [dict(project="corona-school", title=title, planned_on=planned_on, done_on=done_on,
                       recorded_at=f"{done_on or '2020-06-15'}T10:00:00Z",
                       recorded_by="demo data", note=note, evidence_url="")
                  for title, planned_on, done_on, note in CORONA_SCHOOL_MILESTONES]
    return targets, milestones


def _people_reached(readings: list[dict], rng: random.Random, slug: str, start: dt.date, end: dt.date) -> None:
    """Quarterly cumulative readings from launch until the end, growing by an illustrative amount.

    Projects differ in size as real ones do: a typical one gains a few hundred people a quarter, a few gain
    thousands."""
    size = rng.lognormvariate(6, 1.2)
    total, day = 0, start + dt.timedelta(days=30)
    while day <= end:
        total += max(1, int(size * rng.uniform(0.5, 1.5)))
        readings.append(dict(project=slug, metric="people_reached", as_of=day, value=total,
                             recorded_at=recorded(day, rng), recorded_by="demo data",
                             note="Illustrative figure (demo data).", evidence_url=""))
        day += dt.timedelta(days=91)


def write(folder: Path = HERE) -> None:
    projects, events, readings = build()
    targets, milestones = plan()
    for name, fields, rows in (("projects.csv", PROJECT_FIELDS, projects),
                               ("status_events.csv", EVENT_FIELDS, events),
                               ("reach_readings.csv", READING_FIELDS, readings),
                               ("targets.csv", TARGET_FIELDS, targets),
                               ("milestones.csv", MILESTONE_FIELDS, milestones)):
        with open(folder / name, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)


if __name__ == "__main__":
    write()
