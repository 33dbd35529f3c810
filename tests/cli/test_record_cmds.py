"""Recording from the shell: add figure/claim, dispute, retract, define-topic, describe-source."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from ledger import ClaimDisputed, ClaimMade, FigureReported, Ledger
from tests.cli.conftest import CASUALTIES, Run, run_json


def _figure(path: Path, claim_id: str) -> FigureReported:
    with Ledger.open(str(path)) as lg:
        claim = lg.claim(claim_id)
    assert isinstance(claim, FigureReported)
    return claim


def test_add_figure_reads_the_words_and_keeps_them(run: Run, tmp_path: Path) -> None:
    store = tmp_path / "f.db"
    result = run(
        "add", "figure", store, "--topic", "flood/deaths", "--source", "ministry",
        "--phrase", "more than 3,000", "--unit", "people", "--stated", "2025-01-12",
        "--via", "reuters", "--quote", "more than 3,000 died", "--url", "https://example.org",
        "--claim-id", "ministry-deaths",
    )  # fmt: skip
    assert "recorded FigureReported at position 1" in result.output
    assert "claim_id ministry-deaths: [3,001, 4,001] people" in result.output
    event = _figure(store, "ministry-deaths")
    assert event.figure.phrase == "more than 3,000"
    assert event.figure.rule == "wikimpacts-2024:over"
    assert event.via == ("reuters",)
    assert event.quote == "more than 3,000 died"
    assert event.stated_at.isoformat() == "2025-01-12T00:00:00+00:00"


def test_add_figure_takes_numbers_and_the_topics_unit(run: Run, seed_db: Path) -> None:
    result = run(
        "add", "figure", seed_db, "--topic", CASUALTIES, "--source", "bbc",
        "--low", "1,000", "--best", "1500", "--phrase", "at least a thousand",
        "--stated", "2025-01-14T09:30:00+01:00",
    )  # fmt: skip
    claim_id = result.output.split("claim_id ")[1].split(":")[0]
    assert claim_id.startswith("bbc-")
    event = _figure(seed_db, claim_id)
    figure = event.figure
    assert (figure.low, figure.high, figure.best, figure.unit) == (1000, None, 1500, "soldiers")
    assert figure.phrase == "at least a thousand"
    assert figure.rule is None
    assert event.stated_at.isoformat() == "2025-01-14T08:30:00+00:00"
    shown = run_json(run, "show", seed_db, CASUALTIES)
    assert "bbc" in [f["source"] for f in shown["topic"]["figures"]]


def test_add_figure_with_the_strict_convention(run: Run, tmp_path: Path) -> None:
    store = tmp_path / "s.jsonl"
    run(
        "add", "figure", store, "--topic", "t", "--source", "s", "--phrase", "over 500",
        "--unit", "people", "--stated", "2025-01-01", "--convention", "strict",
        "--claim-id", "c",
    )  # fmt: skip
    figure = _figure(store, "c").figure
    assert (figure.low, figure.high, figure.low_open) == (500, None, True)


def test_an_unparseable_phrase_is_an_error_naming_the_words(run: Run, tmp_path: Path) -> None:
    store = tmp_path / "u.db"
    result = run(
        "add", "figure", store, "--topic", "t", "--source", "s", "--phrase", "a great many",
        "--unit", "people", "--stated", "2025-01-01", code=1,
    )  # fmt: skip
    assert result.stderr.startswith("Error: ")
    assert "a great many" in result.stderr
    assert "Traceback" not in result.output
    assert not store.exists()  # a refused first write leaves no empty ledger behind


def test_a_figure_needs_words_or_numbers(run: Run, tmp_path: Path) -> None:
    result = run(
        "add", "figure", tmp_path / "x.db", "--topic", "t", "--source", "s",
        "--unit", "people", "--stated", "2025-01-01", code=2,
    )  # fmt: skip
    assert "give --phrase, or --low and/or --high" in result.stderr


def test_a_figure_on_a_new_topic_needs_a_unit(run: Run, tmp_path: Path) -> None:
    result = run(
        "add", "figure", tmp_path / "x.db", "--topic", "t", "--source", "s",
        "--phrase", "300", "--stated", "2025-01-01", code=2,
    )  # fmt: skip
    assert "give --unit" in result.stderr
    # A mistyped slug reads as a new topic: the message says to check it.
    assert "check its slug with 'ledger topics'" in result.stderr


def test_add_figure_records_the_time_it_describes_with_as_of(run: Run, tmp_path: Path) -> None:
    store = tmp_path / "q.db"
    run(
        "add", "figure", store, "--topic", "quake/injured", "--source", "ministry",
        "--phrase", "more than 5,000", "--unit", "people", "--stated", "2023-09-15",
        "--as-of", "2023-09-13", "--claim-id", "m1",
    )  # fmt: skip
    run(
        "add", "figure", store, "--topic", "quake/injured", "--source", "who",
        "--phrase", "5,530", "--stated", "2023-09-15", "--claim-id", "w1",
    )  # fmt: skip
    event = _figure(store, "m1")
    assert (event.stated_at.day, event.as_of.day) == (15, 13)
    assert _figure(store, "w1").as_of == _figure(store, "w1").stated_at
    # Under a 1-day window the ministry's figure, as of two days before, is stale.
    shown = run_json(run, "show", store, "quake/injured", "--window", "1d")["topic"]
    stale = {f["source"]: f["stale"] for f in shown["figures"]}
    assert stale == {"ministry": True, "who": False}
    bad = run(
        "add", "figure", store, "--topic", "quake/injured", "--source", "who",
        "--phrase", "6,000", "--stated", "2023-09-16", "--as-of", "mid-September", code=2,
    )  # fmt: skip
    assert "--as-of" in bad.stderr
    assert "warning" not in run(
        "add", "figure", store, "--topic", "quake/injured", "--source", "who",
        "--phrase", "6,000", "--stated", "2023-09-16", "--as-of", "2023-09-16",
    ).stderr  # fmt: skip


def test_an_as_of_later_than_stated_is_stored_with_a_warning(run: Run, tmp_path: Path) -> None:
    # A typo there moves the topic's latest forward: stored as given, but said.
    store = tmp_path / "q.db"
    done = run(
        "add", "figure", store, "--topic", "quake/deaths", "--source", "afad",
        "--phrase", "about 300", "--unit", "people", "--stated", "2023-02-06",
        "--as-of", "2023-02-16", "--claim-id", "a1",
    )  # fmt: skip
    assert "claim_id a1" in done.stdout
    assert (
        "warning: --as-of 2023-02-16T00:00:00Z is later than --stated 2023-02-06T00:00:00Z"
        in done.stderr
    )
    assert _figure(store, "a1").as_of.day == 16


def test_a_redefinition_that_drops_parts_unit_or_window_says_so(run: Run, tmp_path: Path) -> None:
    store = tmp_path / "d.db"
    run(
        "define-topic", store, "q/all", "--title", "All", "--unit", "people",
        "--part", "q/a", "--part", "q/b", "--window", "2d",
    )  # fmt: skip
    again = run("define-topic", store, "q/all", "--title", "All", "--unit", "people")
    assert "recorded TopicDefined at position 2" in again.stdout
    assert again.stderr == (
        "note: this definition replaces the earlier one whole and drops its parts (q/a, q/b): "
        "it is no longer a sum; its window: no figure is stale (repeat them to keep them)\n"
    )
    same = run("define-topic", store, "q/all", "--title", "All people", "--unit", "people")
    assert same.stderr == ""


def test_a_redefinition_note_shows_a_stored_unit_and_never_acts_on_the_terminal(
    run: Run, tmp_path: Path
) -> None:
    store, source = tmp_path / "d.db", tmp_path / "untrusted.jsonl"
    hostile = "people\x1b]52;c;cHduZWQ=\x07\u202e\x9b31m\r"
    line = {"type": "TopicDefined", "topic": "q/t", "title": "T", "unit": hostile}
    source.write_text(json.dumps(line) + "\n", encoding="utf-8")
    run("import", store, source)
    again = run("define-topic", store, "q/t", "--title", "T2")
    assert again.stderr == (
        "note: this definition replaces the earlier one whole and drops its unit "
        "(people\\x1b]52;c;cHduZWQ=\\x07\\u202e\\x9b31m\\r) (repeat them to keep them)\n"
    )


def test_a_bad_date_or_number_is_a_usage_error(run: Run, tmp_path: Path) -> None:
    store = tmp_path / "x.db"
    base = ("add", "figure", store, "--topic", "t", "--source", "s", "--unit", "people")
    result = run(*base, "--phrase", "300", "--stated", "12/01/2025", code=2)
    assert "--stated" in result.stderr
    result = run(*base, "--low", "many", "--stated", "2025-01-01", code=2)
    assert "'many' is not a number" in result.stderr


def test_a_unit_that_differs_from_the_topics_is_refused(run: Run, seed_db: Path) -> None:
    result = run(
        "add", "figure", seed_db, "--topic", CASUALTIES, "--source", "x", "--phrase", "300",
        "--unit", "people", "--stated", "2025-01-14", code=1,
    )  # fmt: skip
    assert "soldiers" in result.stderr
    assert "people" in result.stderr


def test_add_claim_then_dispute_then_retract(run: Run, seed_db: Path) -> None:
    run(
        "add", "claim", seed_db, "--topic", "kursk/nk-pows/exchange", "--source", "kremlin",
        "--statement", "No exchange is being discussed.", "--proposition",
        "ukraine-offers-exchange", "--stance", "denies", "--stated", "2025-01-15",
        "--claim-id", "kremlin-no-exchange",
    )  # fmt: skip
    run(
        "dispute", seed_db, "kremlin-no-exchange", "--source", "zelensky",
        "--reason", "The offer was made publicly.", "--stated", "2025-01-16",
    )  # fmt: skip
    props = run_json(run, "propositions", seed_db, "--topic", "kursk/nk-pows/exchange")
    (prop,) = props["propositions"]
    assert prop["status"] == "contested"
    assert prop["denied_by"] == ["kremlin"]
    assert [d["source"] for d in prop["disputes"]] == ["zelensky"]
    result = run("retract", seed_db, "kremlin-no-exchange", "--stated", "2025-01-17")
    assert "recorded ClaimRetracted" in result.output
    (prop,) = run_json(run, "propositions", seed_db, "--topic", "kursk/nk-pows/exchange")[
        "propositions"
    ]
    assert prop["status"] == "agreed"
    with Ledger.open(str(seed_db)) as lg:
        claim = lg.claim("kremlin-no-exchange")
        assert isinstance(claim, ClaimMade)
        assert claim.stance == "denies"
        disputes = [r.event for r in lg.records() if isinstance(r.event, ClaimDisputed)]
        assert disputes[-1].reason == "The offer was made publicly."


def test_disputing_an_unknown_claim_is_an_error(run: Run, seed_db: Path) -> None:
    result = run(
        "dispute", seed_db, "no-such-claim", "--source", "x", "--stated", "2025-01-14", code=1
    )
    assert "no-such-claim" in result.stderr
    assert str(seed_db) in result.stderr


def test_a_source_cannot_dispute_its_own_claim(run: Run, seed_db: Path) -> None:
    result = run(
        "dispute", seed_db, "ukraine-casualties", "--source", "ukraine", "--stated", "2025-01-14",
        code=1,
    )  # fmt: skip
    assert "own claim" in result.stderr


def test_only_the_claims_source_may_retract_it(run: Run, seed_db: Path) -> None:
    result = run(
        "retract", seed_db, "ukraine-casualties", "--source", "nis", "--stated", "2025-01-14",
        code=1,
    )  # fmt: skip
    assert "cannot retract" in result.stderr
    result = run("retract", seed_db, "nope", "--stated", "2025-01-14", code=1)
    assert "no claim 'nope'" in result.stderr


def test_disputing_in_a_missing_store_does_not_create_it(run: Run, tmp_path: Path) -> None:
    store = tmp_path / "none.db"
    result = run("dispute", store, "c", "--source", "x", "--stated", "2025-01-14", code=1)
    assert "no such ledger" in result.stderr
    assert not store.exists()


def test_define_topic_and_describe_source(run: Run, tmp_path: Path) -> None:
    store = tmp_path / "t.jsonl"
    run("define-topic", store, "flood/killed", "--title", "Killed", "--unit", "people")
    run("define-topic", store, "flood/missing", "--title", "Missing", "--unit", "people")
    run(
        "define-topic", store, "flood/toll", "--title", "Killed or missing", "--unit", "people",
        "--part", "flood/killed", "--part", "flood/missing", "--description", "The sum.",
    )  # fmt: skip
    run(
        "describe-source", store, "red-cross", "--name", "Red Cross", "--kind", "ngo",
        "--reliability", "B",
    )  # fmt: skip
    with Ledger.open(str(store)) as lg:
        toll = lg.definition("flood/toll")
        assert toll is not None
        assert toll.parts == ("flood/killed", "flood/missing")
        source = lg.source("red-cross")
        assert source is not None
        assert (source.kind, source.reliability) == ("ngo", "B")
    topics = run_json(run, "topics", store)["topics"]
    assert [t["topic"] for t in topics] == ["flood/killed", "flood/missing", "flood/toll"]
    assert topics[2]["parts"] == ["flood/killed", "flood/missing"]


def test_a_composite_that_contains_itself_is_refused(run: Run, tmp_path: Path) -> None:
    store = tmp_path / "c.db"
    run("define-topic", store, "a", "--title", "A", "--unit", "x", "--part", "b")
    result = run("define-topic", store, "b", "--title", "B", "--unit", "x", "--part", "a", code=1)
    assert "would contain itself" in result.stderr


def test_bad_choices_and_slugs(run: Run, tmp_path: Path) -> None:
    store = tmp_path / "c.db"
    result = run("describe-source", store, "s", "--name", "S", "--kind", "blog", code=2)
    assert "'blog' is not one of" in result.stderr
    result = run("describe-source", store, "Not A Slug", "--name", "S", code=1)
    assert "not a slug" in result.stderr


def test_define_topic_with_a_window_makes_old_figures_stale(run: Run, tmp_path: Path) -> None:
    store = tmp_path / "w.db"
    run("define-topic", store, "flood/deaths", "--title", "Deaths", "--unit", "people",
        "--window", "1d12h")  # fmt: skip
    with Ledger.open(str(store)) as lg:
        definition = lg.definition("flood/deaths")
        assert definition is not None
        assert definition.window == timedelta(days=1, hours=12)
    figure = ["add", "figure", store, "--topic", "flood/deaths"]
    run(*figure, "--source", "ministry", "--phrase", "about 500", "--stated", "2024-09-01")
    run(*figure, "--source", "un", "--phrase", "about 900", "--stated", "2024-09-03")
    topic = run_json(run, "show", store, "flood/deaths")["topic"]
    assert topic["window"] == "P1DT12H"
    assert {f["source"]: f["stale"] for f in topic["figures"]} == {"ministry": True, "un": False}
    assert "window     1d12h (the topic's own)" in run("show", store, "flood/deaths").stdout
    # Redefined in ISO 8601, and then without a window: nothing is stale any more.
    run("define-topic", store, "flood/deaths", "--title", "Deaths", "--window", "P3D")
    assert run_json(run, "show", store, "flood/deaths")["topic"]["window"] == "P3D"
    run("define-topic", store, "flood/deaths", "--title", "Deaths", "--window", "none")
    topic = run_json(run, "show", store, "flood/deaths")["topic"]
    assert topic["window"] is None
    assert not any(f["stale"] for f in topic["figures"])


def test_define_topic_refuses_a_window_it_cannot_read(run: Run, tmp_path: Path) -> None:
    store = tmp_path / "w.db"
    result = run("define-topic", store, "t", "--title", "T", "--window", "3 months", code=2)
    assert "Invalid value for '--window': '3 months' is not a duration" in result.stderr
    assert not store.exists()


def test_a_source_that_is_not_a_slug_is_named_not_the_claim_id_made_of_it(
    run: Run, tmp_path: Path
) -> None:
    store = tmp_path / "bad.db"
    for what in (
        ["figure", "--low", "1", "--high", "2", "--unit", "people"],
        ["claim", "--statement", "They were there."],
    ):
        result = run(
            "add", what[0], store, "--topic", "flood/deaths", "--source", "Bad Src",
            "--stated", "2025-01-12", *what[1:], code=1,
        )  # fmt: skip
        assert "source: 'Bad Src' is not a slug" in result.output
        assert "claim_id" not in result.output
    assert not store.exists()


def test_a_number_is_read_only_as_written_in_ascii_with_thousands_commas(
    run: Run, tmp_path: Path
) -> None:
    store = tmp_path / "n.db"
    base = ["add", "figure", store, "--topic", "t", "--source", "s", "--unit", "people"]
    # Python's own separator is not a thousands separator: "1_0" is not read as 10.
    for bad in ("1,0", ",5", "1,00,0", "1,000,00", "١٢", "1_0", "1_000", "2_0.5_0", "1_000.5"):
        result = run(*base, "--stated", "2025-01-01", "--low", bad, code=2)
        assert "Invalid value for '--low'" in result.stderr
    assert not store.exists()
    for given, stored in (("1,000", 1000), ("2,500.5", 2500.5), ("-3,000", -3000), ("12", 12)):
        run(
            *base,
            "--stated",
            "2025-01-01",
            "--low",
            given,
            "--claim-id",
            f"c{stored}".replace(".", "-"),
        )
        low = _figure(store, f"c{stored}".replace(".", "-")).figure.low
        assert (low, type(low)) == (stored, type(stored))
