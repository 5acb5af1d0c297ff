"""Search: inside words, ASCII spellings, codes by prefix, ranking, paging, a subtree, the SHAK filter,
review queues, the hit line, and the migration of a working copy that has the old index.

Real data: the three SOR extracts and SHAKCOMPLETE.TXT of ``../shared/samples`` and the bundled demo.
The expected hits are worked out here independently of the index: by regular expressions over the
folded names and addresses read from the tables.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from old_versions import make_version

from sortui.domain.text import ascii_fold, ascii_spelled
from sortui.generator.demo import demo_files
from sortui.store import db, edits, review, search
from sortui.store.importer import import_files
from sortui.store.search import search_sor_ids, shak_search, subtree_scope
from sortui.store.search_index import refresh_search_row
from sortui.widgets.hit_line import hit_line, place_names

SYGEHUS = ["347801000016001", "347811000016004", "347821000016008", "347831000016005"]  # Roskilde Øjenklinik
APOTEK = ["306011000016003", "306021000016007", "306031000016009"]  # Værløse Apotek
PRAKSIS_IE, PRAKSIS_OE = "8321000016007", "8341000016002"  # Michael Filtenborg, in Gilleleje
REGION_H = "119431000016001"  # the demo's Region Hovedstaden
ON = "2024-06-01"


@pytest.fixture
def samples(full_wc: Path) -> sqlite3.Connection:
    conn = db.open_working_copy(full_wc)
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    import_files(path, [f for f in demo_files() if f.name != "LocationsCodeEDITypeMap.csv"])
    return path


@pytest.fixture
def demo(_demo_template: Path, tmp_path: Path) -> sqlite3.Connection:
    path = tmp_path / "demo.sqlite"
    shutil.copyfile(_demo_template, path)
    conn = db.open_working_copy(path)
    yield conn
    conn.close()


def ids(conn: sqlite3.Connection, text: str, **kwargs: object) -> list[str]:
    return [h.sor_id for h in search.search(conn, text, limit=10_000, **kwargs).hits]


# -- an oracle: what should match, and how well, from the tables ---------------------------------


Texts = tuple[str, str]  # a text folded (ascii_fold) and spelled out (ascii_spelled)


def _texts(conn: sqlite3.Connection) -> dict[str, tuple[Texts, Texts]]:
    """sor_id -> (name, addresses and other codes), each folded and spelled out."""
    rows = conn.execute(
        "SELECT e.sor_id, e.name, coalesce(e.pharmacy_number, '') || ' ' || coalesce(e.local_code, '') || ' ' ||"
        " coalesce((SELECT group_concat(coalesce(a.street, '') || ' ' || coalesce(a.building, '') || ' ' ||"
        " coalesce(a.postcode, '') || ' ' || coalesce(a.district_name, ''), ' ') FROM address a"
        " WHERE a.sor_id = e.sor_id), '') FROM entity e"
    )
    return {sor_id: (_both(name), _both(other)) for sor_id, name, other in rows}


def _both(text: str) -> Texts:
    return ascii_fold(text), ascii_spelled(text)


def _words(text: str) -> list[Texts]:
    """The words typed, each folded and spelled out."""
    return [(ascii_fold(w), w) for w in re.findall(r"\w+", ascii_spelled(text))]


def _level(word: Texts, text: Texts) -> int | None:
    """How well either form of ``word`` matches either form of ``text``: 0 a whole word, 1 a word start,
    2 inside a word (3 letters or more only), None not at all."""
    levels = [level for w in word for t in text if (level := _form_level(w, t)) is not None]
    return min(levels, default=None)


def _form_level(word: str, text: str) -> int | None:
    if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text):
        return 0
    if re.search(rf"(?<!\w){re.escape(word)}", text):
        return 1
    return 2 if len(word) >= 3 and word in text else None


RULE = [(0, True), (1, True), (0, False), (1, False), (2, True), (2, False)]  # (level, in the name only), best first


def expected_tier(words: list[Texts], name: Texts, other: Texts) -> int | None:
    """The tier as the ranking rule says it in words (``search_index.TIERS``), or None for no match."""
    in_name = [_level(w, name) for w in words]
    anywhere = [
        min((x for x in (n, _level(w, other)) if x is not None), default=None)
        for w, n in zip(words, in_name, strict=True)
    ]
    for tier, (level, name_only) in enumerate(RULE):
        if all(x is not None and x <= level for x in (in_name if name_only else anywhere)):
            return tier
    return None


def check_against_oracle(conn: sqlite3.Connection, text: str) -> list[str]:
    """The hits of ``text`` are exactly what the oracle matches, in tiers that never get better."""
    words = _words(text)
    texts = _texts(conn)
    expected = {s for s, (n, o) in texts.items() if expected_tier(words, n, o) is not None}
    found = ids(conn, text)
    assert len(found) == len(set(found)), f"{text}: a unit twice"
    assert set(found) == expected, text
    tiers = [expected_tier(words, *texts[s]) for s in found]
    assert tiers == sorted(tiers), f"{text}: ranked out of order {tiers}"
    return found


# -- matching --------------------------------------------------------------------------------------


def test_pieces_inside_words_find_compound_names(demo: sqlite3.Connection) -> None:
    found = check_against_oracle(demo, "kirurgisk")
    names = {h.name for h in search.search(demo, "kirurgisk", limit=1000).hits}
    assert {"Ortopædkirurgisk Afdeling", "Neurokirurgisk Afdeling"} <= names
    assert len(found) >= 40
    names = [h.name for h in search.search(demo, "afdeling", limit=1000).hits]
    assert "Hudafdelingen" in names and "Patologiafdelingen" in names
    last_whole = max(i for i, n in enumerate(names) if re.search(r"\bAfdeling\b", n))
    assert names.index("Hudafdelingen") > last_whole  # whole words first
    for text in ("afdeling", "hospital", "afsnit 2", "ortopæd", "sengeafs", "klinik", "kir afd", "nord", "lab k"):
        check_against_oracle(demo, text)


def test_ascii_spellings_of_danish_letters(demo: sqlite3.Connection, samples: sqlite3.Connection) -> None:
    aeldre = ids(demo, "Ældre")
    assert aeldre and ids(demo, "aeldre") == aeldre and ids(demo, "ALDRE") == aeldre
    assert all("Ældre" in h.name for h in search.search(demo, "aeldre").hits)
    for text in ("værløse", "vaerlose", "vaerloese", "varlose", "VÆRLØSE"):
        assert set(ids(samples, text)) == set(APOTEK), text
    for text in ("øjenklinik", "oejenklinik", "ojenklinik", "jenklin", "roskilde ojen"):
        assert ids(samples, text) == SYGEHUS, text
    check_against_oracle(demo, "aeldrecent")


def test_short_words_match_only_word_starts(samples: sqlite3.Connection, demo: sqlite3.Connection) -> None:
    assert ids(samples, "sk") == []  # inside "Roskilde" only
    assert ids(samples, "ro") == SYGEHUS and ids(samples, "r") == SYGEHUS
    assert set(ids(samples, "ø")) == set(SYGEHUS)  # Øjenklinik, folded to o
    assert ids(samples, "ros") == SYGEHUS
    for text in ("k", "ho", "a b", "team 1", "t 2"):
        check_against_oracle(demo, text)


def test_addresses_and_other_codes_match_and_say_so(samples: sqlite3.Connection) -> None:
    (hit,) = search.search(samples, "terbrog").hits  # inside Vesterbrogade
    assert hit.sor_id == PRAKSIS_IE and hit.matched == ("adresse", "Vesterbrogade 21, 3250 Gilleleje")
    assert ids(samples, "gilleleje") == [PRAKSIS_IE]
    (hit,) = search.search(samples, "362").hits  # the OE's apoteksnummer 362,1
    assert hit.sor_id == APOTEK[2] and hit.matched == ("apoteksnummer", "362,1")
    assert search.search(samples, "værløse").hits[0].matched is None  # the name holds it


def test_codes_match_by_prefix_exact_first(samples: sqlite3.Connection) -> None:
    page = search.search(samples, "3478")
    assert [h.sor_id for h in page.hits] == SYGEHUS
    assert {h.matched for h in page.hits} == {("SOR-kode", s) for s in SYGEHUS}
    assert ids(samples, SYGEHUS[2])[0] == SYGEHUS[2]
    assert [(h.sor_id, h.matched) for h in search.search(samples, "2529").hits] == [
        (SYGEHUS[1], ("SHAK-kode", "2529")),
        (SYGEHUS[2], ("SHAK-kode", "252901")),
        (SYGEHUS[3], ("SHAK-kode", "2529010")),
    ]
    assert search.search(samples, "579000014").hits[0].matched == ("lokationsnummer", "5790000141227")
    assert search.search(samples, "0190").hits[0].matched == ("ydernummer", "019062")
    assert search.search(samples, "2529010").hits[0].sor_id == SYGEHUS[3]  # exact before the prefixes
    assert ids(samples, "34") == []  # too short for a code, and no word starts with it
    (hit,) = search.search(samples, "2529 afsnit").hits  # the words after a code narrow the units it finds
    assert (hit.sor_id, hit.matched) == (SYGEHUS[3], ("SHAK-kode", "2529010"))
    assert ids(samples, "3478 apotek") == []


def test_nothing_to_search_for_and_hostile_text(samples: sqlite3.Connection) -> None:
    for text in ("", "   ", "--", "«»"):
        page = search.search(samples, text)
        assert (page.hits, page.total) == ([], 0), text
    for text in ('"; DROP TABLE entity; --', 'NEAR("a" "b")', '"', "*", "a OR b", "^x", "name:x", "x'y", "\x1b[31m"):
        search.search(samples, text)
        shak_search(samples, text, ON)
    assert samples.execute("SELECT count(*) FROM entity").fetchone()[0] == 10


# -- ranking, paging, counting ---------------------------------------------------------------------


def test_both_ways_of_ranking_give_the_same_order(demo: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    """Up to RANK_ALL hits are ranked in one go, more tier by tier: the order must not depend on which."""
    texts = ("afdeling", "a", "team", "hospital", "afsnit 2", "1194", "12", "kir", "sengeafsnit", "nord jyl")
    scope = subtree_scope(demo, REGION_H)
    at_once = {(t, s is None): ids(demo, t, scope=s) for t in texts for s in (None, scope)}
    monkeypatch.setattr(search, "RANK_ALL", 0)
    for (text, everywhere), expected in at_once.items():
        assert ids(demo, text, scope=None if everywhere else scope) == expected, text


def test_pages_add_up_to_all_hits_with_the_total(demo: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    everything = ids(demo, "a")
    assert len(everything) > 300
    for rank_all in (1000, 0):
        monkeypatch.setattr(search, "RANK_ALL", rank_all)
        paged: list[str] = []
        offset = 0
        while True:
            page = search.search(demo, "a", limit=70, offset=offset)
            assert page.total == len(everything) and not page.more and page.offset == offset
            if not page.hits:
                break
            paged += [h.sor_id for h in page.hits]
            offset += 70
        assert paged == everything
    assert search.search(demo, "a", limit=5, offset=len(everything)).hits == []


def test_counting_stops_at_the_cap(demo: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    everything = ids(demo, "afdeling")
    monkeypatch.setattr(search, "COUNT_CAP", 10)
    page = search.search(demo, "afdeling", limit=5, offset=20)
    assert (page.total, page.more, page.count_text()) == (10, True, "10+ hits")
    assert [h.sor_id for h in page.hits] == everything[20:25]  # pages beyond the count still come


# -- a subtree -------------------------------------------------------------------------------------


def _subtree(conn: sqlite3.Connection, root: str) -> set[str]:
    rows = conn.execute(
        "WITH RECURSIVE d(s) AS (SELECT ? UNION ALL SELECT e.sor_id FROM entity e JOIN d ON e.parent_sor_id = d.s)"
        " SELECT s FROM d",
        (root,),
    )
    return {r[0] for r in rows}


def test_search_limited_to_a_subtree(demo: sqlite3.Connection) -> None:
    scope = subtree_scope(demo, REGION_H)
    assert scope is not None and scope.name == "Region Hovedstaden" and len(scope.runs) == 1
    below = _subtree(demo, REGION_H)
    for text in ("afdeling", "klinik", "a", "1194"):
        inside = ids(demo, text, scope=scope)
        assert inside and set(inside) == set(ids(demo, text)) & below, text
        assert inside == [s for s in ids(demo, text) if s in below]  # the same order
    assert subtree_scope(demo, "123") is None


def test_a_subtree_with_units_created_later_is_several_ranges(demo: sqlite3.Connection) -> None:
    hospital = demo.execute("SELECT sor_id FROM entity WHERE name = 'Rigshospitalet'").fetchone()[0]
    created = edits.create_unit(demo, hospital, "Ny Testafdeling", ON).key
    edits.create_unit(demo, REGION_H, "Anden Testafdeling", ON)  # in the span, outside the subtree
    scope = subtree_scope(demo, hospital)
    assert scope is not None and len(scope.runs) == 2
    found = ids(demo, "testafdeling", scope=scope)
    assert found == [created]
    assert set(ids(demo, "afdeling", scope=scope)) == set(ids(demo, "afdeling")) & _subtree(demo, hospital)


# -- the SHAK filter and review queues: the same matching -----------------------------------------


def test_shak_filter_matches_as_the_search_does(samples: sqlite3.Connection) -> None:
    def codes(text: str) -> list[str]:
        return [e.code for e in shak_search(samples, text, ON, limit=5000)]

    def texts(code: str) -> list[Texts]:
        sql = "SELECT text FROM shak_code WHERE code = ? AND valid_from <= ? AND (valid_to IS NULL OR valid_to >= ?)"
        return [_both(t) for (t,) in samples.execute(sql, (code, ON, ON))]

    assert codes("anæst") == codes("anaest") == codes("ANÆST") and codes("anaest")
    inside = codes("enterolog")  # inside "gastroenterologisk"
    assert inside and all(any("enterolog" in t[1] for t in texts(c)) for c in inside)
    assert "130132T" in inside  # Nefrologisk Gastroenterologisk Ambulatorium: "oe" kept for the piece
    assert codes("1301")[0] == "1301" and all(c.startswith("1301") for c in codes("1301"))
    narrowed = codes("1301 anæst")  # a code's start and a word
    assert narrowed and set(narrowed) < set(codes("1301")) and set(narrowed) <= set(codes("1301")) | set(codes("anæst"))
    assert all(c.startswith("1301") for c in narrowed[:3])
    kir = codes("kir")
    levels = [min(lvl for t in texts(c) if (lvl := _level(("kir", "kir"), t)) is not None) for c in kir]
    assert levels == sorted(levels) and levels[0] == 0 and levels[-1] == 2  # whole words, starts, then inside
    for short in ("ab", "nt"):  # two letters: word starts only ("nt" is inside hundreds of texts)
        assert codes(short) and all(any(_level((short, short), t) in (0, 1) for t in texts(c)) for c in codes(short))
    assert len(codes("nte")) > 10 * len(codes("nt"))


def test_review_queue_from_a_search_is_the_search(demo: sqlite3.Connection) -> None:
    assert review.start(demo, "afd", ON, search="afdeling") == len(ids(demo, "afdeling"))
    assert [i.key for i in review.items(demo, "afd", 0, 1000)] == ids(demo, "afdeling")
    scope = subtree_scope(demo, REGION_H)
    assert review.start(demo, "afd-h", ON, search="afdeling", subtree=REGION_H) == len(
        ids(demo, "afdeling", scope=scope)
    )
    assert [i.key for i in review.items(demo, "afd-h", 0, 1000)] == ids(demo, "afdeling", scope=scope)
    assert search_sor_ids(demo, "afdeling", 7) == ids(demo, "afdeling")[:7]


def test_review_refuses_a_search_too_large(demo: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(review, "SEARCH_QUEUE_MAX", 10)
    with pytest.raises(review.ReviewError, match="more than 10 units"):
        review.start(demo, "many", ON, search="afdeling")
    assert review.sessions(demo) == []


# -- the hit line ----------------------------------------------------------------------------------


def test_hit_lines_fit_and_tell_same_names_apart(demo: sqlite3.Connection) -> None:
    hits = search.search(demo, "sengeafsnit o1", limit=100).hits
    same = [h for h in hits if h.name == "Ortopædkirurgisk Sengeafsnit O1"]
    assert len(same) >= 2
    assert len({hit_line(h, 78).plain for h in same}) == len(same)  # told apart by the place
    for width in (30, 50, 78, 120):
        for h in search.search(demo, "a", limit=300).hits + search.search(demo, "1194").hits:
            line = hit_line(h, width).plain
            assert line.startswith(h.kind) and "\n" not in line and len(line) <= width
    (hit,) = [h for h in hits if h.sor_id == same[0].sor_id]
    assert place_names(hit)[-1] != hit.name and hit.path[0][1] == "IE"


def test_hit_line_shows_data_literally(samples: sqlite3.Connection) -> None:
    with samples:  # edits refuse control characters: a name from before that rule, or a hostile file
        samples.execute("UPDATE entity SET name = ? WHERE sor_id = ?", ("[bold]x[/] \x1b[31mRød", SYGEHUS[3]))
        refresh_search_row(samples, SYGEHUS[3])
    (hit,) = search.search(samples, "rod").hits
    line = hit_line(hit, 80)
    assert "[bold]x[/]" in line.plain and "\x1b" not in line.plain and "␛[31mRød" in line.plain


# -- the old index -----------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [1, 2])
def test_a_working_copy_with_the_old_index_is_migrated(full_wc: Path, version: int) -> None:
    make_version(full_wc, version)
    with pytest.raises(db.WorkingCopyError, match="needs migrating"):
        db.open_working_copy(full_wc, readonly=True)
    before = sqlite3.connect(full_wc).execute("SELECT * FROM entity ORDER BY rowid").fetchall()
    conn = db.open_working_copy(full_wc)
    assert (
        conn.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION == 4
    )  # 4: the code lists and journal groups after it
    assert "trigram" in conn.execute("SELECT sql FROM sqlite_schema WHERE name = 'search'").fetchone()[0]
    assert conn.execute("SELECT * FROM entity ORDER BY rowid").fetchall() == before
    assert ids(conn, "jenklin") == SYGEHUS and ids(conn, "terbrog") == [PRAKSIS_IE]
    assert shak_search(conn, "1301", ON)[0].code == "1301" and shak_search(conn, "anaest", ON)
    conn.close()
    conn = db.open_working_copy(full_wc, readonly=True)  # and as it is now, read-only is fine
    assert ids(conn, "vaerlose") == APOTEK
    conn.close()


def test_a_sqlite_without_the_trigram_tokenizer_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sortui.store import search_index

    monkeypatch.setattr(search_index, "SEARCH_DDL", "CREATE VIRTUAL TABLE search USING fts5(name, tokenize = 'nosuch')")
    with pytest.raises(db.WorkingCopyError, match=r"trigram tokenizer: sortui needs SQLite 3\.34"):
        db.open_working_copy(tmp_path / "wc.sqlite")
