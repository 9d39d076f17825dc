"""The learned topic reader (content/topic_model.py, issue 23): a question no topic pattern fits, asked in the
family's own words, gets the topic's answer; never a message with a sign, a worry outside the topic, the
midwife's own care, the thanks for a message naming anything, or one the danger reader is not sure of."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from content import danger_corpus, get_content, topic_model
from content.danger_model import ANY
from content.health_topics import LearnedSettings, topics
from content.reading import normalizer
from content.route_eval import route, table
from content.topic_eval import OUTCOMES, outcome

TOPICS = topics()


@pytest.mark.parametrize(("text", "topic"), [
    ("tangane bayi rada adem tapi pas tak ukur ketek e 36,9 bu", "temperature"),
    ("ada belek dikit pas bangun, udh dilap bersih", "eyes"),
    ("kok bayi saya tidurnya kaget2an ya, tapi kalo dipeluk langsung tenang lagi. biasa kan?", "sleep"),
    ("apakah bayi boleh pake minyak telon bu", "baby_care"),
])
def test_a_question_no_pattern_fits_gets_the_topic_the_reader_learned(text, topic):
    assert TOPICS.match(text) is None  # no pattern: before the reader a person had to read it
    answered = TOPICS.answerable(get_content().read_message(text), text)
    assert answered is not None and answered.id == topic
    assert route(get_content().read_message(text), text, TOPICS) == ("topic", topic)


@pytest.mark.parametrize("text", [
    "bayi saya kejang terus",  # a sign: the alert, whatever the topic reader thinks
    "bu besok kontrol jam berape ye?",  # her care: the midwife answers
    "bu, kapan saya boleh mulai olahraga lagi?",  # no topic it is sure of
])
def test_the_topic_reader_never_answers_a_sign_her_care_or_a_guess(text):
    reading = get_content().read_message(text)
    assert TOPICS.answerable(reading, text) is None


def _toy_reader(label: str):
    """A real topic reader trained on a few made-up messages: every "mantul" message is ``label``."""
    msgs = [danger_corpus.Message("x", "std", frozenset(), "health", text, "x_std.tsv", i) for i, text in enumerate([
        "dedek mantul hari ini", "mantul banget dedeknya", "dedek mantul sekali", "wah mantul",
        "bayi mau pakai gurita", "gurita bayi boleh", "pakai gurita ya", "gurita dedek",
    ])]
    lab = {"mantul": label, "gurita": "binder"}
    return topic_model.train(msgs, lambda m: next(v for k, v in lab.items() if k in m.text),
                             normalizer(TOPICS.lang))


def test_a_loud_reading_is_never_the_readers_answer():
    text = "dedek mantul hari ini bu"
    reading = get_content().read_message(text)
    assert TOPICS.match(text) is None and reading.scores.get(ANY, 1.0) < TOPICS.learned.quiet_any
    assert _toy_reader("sleep")(text)[0] == "sleep"
    assert TOPICS.answerable(reading, text, _toy_reader("sleep")).id == "sleep"
    loud = dataclasses.replace(TOPICS, learned=LearnedSettings(0.5, reading.scores[ANY], 10.0))
    assert loud.answerable(reading, text, _toy_reader("sleep")) is None  # the danger reader not sure enough


def test_the_readers_guess_is_the_thanks_only_for_a_message_naming_nothing():
    """Good news no pattern knows ("alhamdulillah anak abdi tos lahir kamari") gets the thanks, not a person;
    a message naming any finding or worry, even negated ("tidak pingsan": a faint she hears of), never."""
    thanks = _toy_reader("good_news")
    text = "dedek mantul hari ini bu"
    assert TOPICS.answerable(get_content().read_message(text), text, thanks).id == "good_news"
    for text in ("dedek mantul hari ini bu, cuma agak pilek", "dedek mantul hari ini, ibunya sudah tidak pingsan",
                 "dedek mantul hari ini bu, udah ga kuning"):
        reading = get_content().read_message(text)
        assert not reading.signs and thanks(text)[0] == "good_news"
        assert TOPICS.answerable(reading, text, thanks) is None, text


@pytest.mark.parametrize("text", [
    "istri abdi teu damang pisan bu, kumaha ieu",  # not well (a negation), and a question
    "kalo kita nyanda bangun besok, nyanda apa-apa jo, anak so ada opa oma yang jaga",  # a farewell
    "dedek mantul hari ini bu, kenapa ya",
])
def test_the_thanks_is_never_the_guess_for_a_negation_a_question_or_a_condition(text):
    """Left-out readers thanked "istri abdi teu damang pisan" (Sundanese: very unwell) and a Manado farewell
    ("if I don't wake up tomorrow") as good news: a guessed thanks needs a plain statement."""
    reading = get_content().read_message(text)
    missed = dataclasses.replace(reading, signs=(), vetoed=(), mentioned=(), hypothetical=False,
                                 scores={k: 0.0 for k in reading.scores})
    assert TOPICS.match(text) is None
    assert TOPICS.answerable(missed, text, _reader_of({text: "good_news", "dedek mantul": "good_news",
                                                       "gurita bayi": "binder"})) is None, text


def test_a_worry_outside_the_topic_is_never_waived_for_the_reader():
    text = "dedek mantul hari ini bu tapi saya sedih terus"
    reading = get_content().read_message(text)
    assert TOPICS.answerable(reading, text, _toy_reader("sleep")) is None


def test_every_written_question_names_a_topic_that_exists_and_each_author_wrote_for_every_topic():
    written = topic_model.load_examples()
    assert len({e.author for e in written}) >= 4 and len(written) >= 1000
    ids = {t.id for t in TOPICS.topics}
    assert {e.topic for e in written} <= ids
    for author in {e.author for e in written}:
        assert {e.topic for e in written if e.author == author} == ids, author


def test_a_written_question_is_an_example_of_its_authors_topic(tmp_path):
    (tmp_path / "t9_std.tsv").write_text("# a comment\nbinder\tkorset perut boleh dipakai?\n"
                                         "sleep\tdedek molor terus\n", encoding="utf-8")
    written = topic_model.load_examples(tmp_path)
    assert [(e.author, e.register, e.topic, e.line) for e in written] == [
        ("t9", "std", "binder", 2), ("t9", "std", "sleep", 3)]
    model = topic_model.train([], lambda m: None, normalizer(TOPICS.lang), written=written * 2)
    assert model("dedek molor terus ya")[0] == "sleep"
    with pytest.raises(ValueError, match="do not exist"):
        TOPICS.train_reader([], [dataclasses.replace(written[0], topic="no_such_topic")])


@pytest.mark.parametrize(("name", "text"), [("t9_std.tsv", "binder korset tanpa tab\n"),
                                            ("x_std.tsv", "binder\tkorset\n")])
def test_a_written_part_in_another_form_is_an_error_not_skipped(tmp_path, name, text):
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(ValueError):
        topic_model.load_examples(tmp_path)


def _reader_of(examples: dict[str, str]):
    """A real topic reader trained on a few made-up questions, each written four times for its topic."""
    written = [topic_model.Example("t9", "std", topic, text, "t9_std.tsv", i)
               for i, (text, topic) in enumerate(examples.items())] * 4
    return topic_model.train([], lambda m: None, normalizer(TOPICS.lang), written=written)


def test_when_two_topics_fit_the_reader_chooses_the_one_the_question_is_about():
    text = "KB yg aman buat ibu menyusui apa ya bu?"
    assert set(TOPICS._fitting(TOPICS._tokens(text))) == {"medicines", "intimacy_family_planning"}
    assert TOPICS.match(text).id == "medicines"  # the patterns alone: the first in the file
    kb = _reader_of({"kb yg aman apa": "intimacy_family_planning", "pil kb suntik kb": "intimacy_family_planning",
                     "obat yg aman": "medicines", "obat sakit kepala": "medicines"})
    reading = get_content().read_message(text)
    assert TOPICS.answerable(reading, text, kb).id == "intimacy_family_planning"
    assert TOPICS.answerable(reading, text).id == "intimacy_family_planning"  # the repository's reader


def test_the_reader_never_moves_a_message_to_the_thanks():
    text = "udah lebih sehari ga ada kotoran di popoknya, cuma pipis. baru umur 2 hari"
    assert {"baby_urine", "good_news"} <= set(TOPICS._fitting(TOPICS._tokens(text)))
    thanks = _reader_of({"udah ga ada kotoran di popoknya": "good_news", "makasih bu udah lancar": "good_news",
                         "pipis berapa kali": "baby_urine", "popok basah berapa": "baby_urine"})
    assert thanks.probabilities(text)["good_news"] > 0.5
    assert TOPICS._choose(text, TOPICS._tokens(text), thanks).id != "good_news"


def test_topic_eval_counts_the_authors_topic_another_topic_and_an_alert():
    read = get_content().read_message
    ex = topic_model.Example("t9", "std", "intimacy_family_planning", "KB yg aman buat ibu menyusui apa ya bu?",
                             "t9_std.tsv", 1)
    assert outcome(ex, TOPICS, TOPICS.topic_reader, read) == "right topic"
    assert outcome(dataclasses.replace(ex, topic="medicines"), TOPICS, TOPICS.topic_reader, read) == "other topic"
    assert outcome(dataclasses.replace(ex, text="bayi saya kejang terus"), TOPICS, TOPICS.topic_reader, read) == "alert"
    rows = table({"all": Counter({"right topic": 3, "alert": 1})}, OUTCOMES, "author")
    assert rows[0].startswith("| author | n | right topic |")
    assert rows[2] == "| all | 4 | 0.75 | 0.00 | 0.00 | 0.25 | 0.00 |"
    assert len(OUTCOMES) == 5


def test_the_reader_never_chooses_away_from_a_topic_that_reaches_a_person():
    text = "aku sedih terus tiap dedek nangis, bayi juga susah tidur"
    fitting = TOPICS._fitting(TOPICS._tokens(text))
    assert "mother_mood" in fitting and len(fitting) > 1
    sleepy = _reader_of({"bayi susah tidur": "sleep", "dedek tidur terus": "sleep",
                         "aku sedih": "mother_mood", "ibu cemas": "mother_mood"})
    assert sleepy.probabilities(text)["sleep"] > sleepy.probabilities(text)["mother_mood"]
    assert TOPICS._choose(text, TOPICS._tokens(text), sleepy).id == "mother_mood"
