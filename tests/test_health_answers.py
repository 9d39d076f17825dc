"""The bot's own answers (content/health_answers.yaml, issue 23): every answer keeps the style rules once
assembled, names when to go now and /tanya; the matcher reads chat spelling like the danger rules; the bot
never answers a message with a sign (reported, hypothetical, or scored near one); longer small talk is small
talk, never when it carries a health word."""

from __future__ import annotations

import dataclasses

import pytest

from content import danger_corpus, get_content
from content.danger_model import ANY
from content.health_topics import topics
from content.route_eval import route
from content.style import check_text

TOPICS = topics()


def test_there_are_20_to_50_topics_with_known_sources():
    assert 20 <= len(TOPICS.topics) <= 50
    c = get_content()
    for topic in TOPICS.topics:
        assert set(topic.source) <= set(c.sources), topic.id


@pytest.mark.parametrize("topic", TOPICS.topics, ids=lambda t: t.id)
def test_each_answer_fits_names_when_to_go_and_the_midwife(topic):
    c = get_content()
    text = c.text("health.answer", jawaban=topic.answer, kapan=topic.go_now)
    assert check_text("health_answers.yaml", topic.id, text, templates=False) == []
    assert "/tanya" in text.splitlines()[-1]
    assert "sekarang" in topic.go_now or "hari ini" in topic.go_now
    assert "tidak apa-apa" not in text.lower()


@pytest.mark.parametrize(("text", "topic"), [
    ("bu, darah nifas saya sekarang warnanya coklat, memang begitu ya?", "lochia"),
    ("pup dedek warnanya ijo, normal ga bun", "baby_stool"),
    ("tali pusar dedek blm puput, dirawatnya gimana", "cord_care"),
    ("kenapa ya bayiku gampang kagetan kalau ada suara", "startle"),
    ("asi aku blm keluar banyak bun, baru dikit kuning kental", "colostrum"),
    ("buku KIA itu isinya apa aja bu?", "buku_kia"),
    ("pijat oksitosin itu berapa lama ya", "massage"),
    ("dedek sudah boleh dimandiin tiap hari belum bu?", "bathing"),  # di- ... -in taken off
    ("suami nanya, bayinya boleh dibedakin gak?", "baby_care"),
    ("payudara kanan saya lebih besar dari yang kiri, wajar?", "breast_sides"),
    ("kata nenek bayi harus pakai gelang benang biar gak rewel, gimana bu?", "traditions"),
    ("suhu normal bayi brp ya bu", "temperature"),  # chat spelling of "berapa"
    ("suhu dedek 36,8 bu, aman kan", "temperature"),  # a reading the rules call normal
    ("suami sy batuk pilek, boleh gendong dedek gk?", "sick_family"),
    ("sy lg pilek batuk dikit bu boleh nyusuin ga", "sick_family"),
    ("kemarin sy sempet kliyengan pas berdiri kelamaan", "dizzy_standing"),
    ("lidah dedek putih2, apa itu sisa susu?", "baby_care"),
    ("bayi sy tidur ngorok bu", "hiccups_sneeze"),
])
def test_topics_are_found_in_the_families_spelling(text, topic):
    found = TOPICS.match(text)
    assert found is not None and found.id == topic


@pytest.mark.parametrize("text", [
    "bayi saya kejang dari tadi", "darah nifas saya banyak sekali, pembalut penuh tiap jam",
    "kalau nanti bayi demam harus ngapain?", "tali pusat bayi saya bernanah dan bau",
])
def test_a_message_with_a_sign_is_never_answered_by_a_topic(text):
    reading = get_content().read_message(text)
    assert TOPICS.answerable(reading, text) is None


def test_an_affix_never_makes_a_noun_a_topic_word():
    """ "ukuran" is a size, not "ukur" (measure): an errand about nappies is no temperature question."""
    assert TOPICS.stems(["ukuran", "dimandian", "kagetan"]) == ["ukuran", "mandi", "kagetan"]
    found = TOPICS.match("tolong belikan popok ukuran NB dua bungkus ya yah")
    assert found is None or found.id != "temperature"


@pytest.mark.parametrize(("text", "expected"), [
    ("capek banget begadang semalam, tapi siang bisa tidur pas bayi tidur", ("topic", "mother_tired")),
    ("kadang aku baper dan cemas kalau dedek nangis, wajar ga bu", ("topic+forward", "mother_mood")),
])
def test_tiredness_is_answered_and_feelings_reach_the_midwife_too(text, expected):
    assert route(get_content().read_message(text), text, TOPICS) == expected


def test_an_errand_meant_for_the_husband_gets_the_not_health_reply_not_the_midwife():
    text = "yah, pulang kerja mampir beli popok sama galon ya"
    reading = get_content().read_message(text)
    assert reading.kind == "other" and not reading.signs
    assert route(reading, text, TOPICS) == ("topic", "not_health")


@pytest.mark.parametrize("text", ["makasih banyak ya bu bidan sudah bantu 🙏", "siap bu, nanti saya kabari lagi",
                                  "wkwkwk iya bun", "aamiin makasih doanya bu", "🙏👍", "terimakasihbanyak bu 🙏"])
def test_longer_small_talk_is_small_talk(text):
    assert TOPICS.small_talk(text)


@pytest.mark.parametrize("text", ["makasih bu, bayi saya demam", "oke bu, tapi perut saya sakit",
                                  "makasih bu, sudah 3 hari", "halo bu, jamu apa yang boleh saya minum?"])
def test_small_talk_with_a_health_word_a_number_or_a_question_is_not(text):
    assert not TOPICS.small_talk(text)


def test_no_danger_message_of_a_corpus_part_is_answered_by_the_bot():
    """The dangerous case: a danger message the reader missed, answered instead of forwarded (one part here;
    `python -m content.route_eval` runs them all, the figures are in SAFETY.md)."""
    c = get_content()
    part = [m for m in danger_corpus.load() if m.file == "a2_chat.tsv" and m.kind == "danger"]
    assert part
    answered = [m.text for m in part if route(c.read_message(m.text), m.text, TOPICS)[0] in ("topic", "social")]
    assert answered == []


def test_a_topic_answer_is_forwarded_too_when_the_any_sign_head_is_high():
    reading = get_content().read_message(LOCHIA_TEXT)
    assert route(reading, LOCHIA_TEXT, TOPICS)[0] == "topic"
    doubtful = dataclasses.replace(reading, scores={**reading.scores, ANY: TOPICS.forward_any})
    assert TOPICS.must_forward(doubtful) and route(doubtful, LOCHIA_TEXT, TOPICS)[0] == "topic+forward"


def test_capek_is_tiredness_to_a_topic_but_cepat_is_never_tiredness():
    """The danger rules read Minang "capek" as "cepat" (fast breathing); a topic reads it as tired, and a plea
    to answer fast ("tolong cepat") is never the tiredness topic."""
    assert TOPICS.match("capek banget bun begadang terus").id == "mother_tired"
    assert TOPICS.match("tolong cepat bu") is None


def test_a_plea_or_a_worry_never_gets_the_not_health_reply():
    errand = get_content().read_message("yah, pulang kerja mampir beli popok sama galon ya")
    assert TOPICS.answerable(errand, "yah, pulang kerja mampir beli popok sama galon ya").id == "not_health"
    for text in ("darurat bu gmn ini", "tolong cepat bu", "mantu saya kondisinya jelek"):
        assert TOPICS.answerable(errand, text) is None, text  # the same calm reading, these words: a person


def test_small_talk_the_reader_is_unsure_of_reaches_a_person():
    """ "makasih bu" closes a conversation only when the learned reader sees no sign near it: a thank-you
    that may carry one (the "any sign" head at the topics' gate) is forwarded, never closed with small talk."""
    text = "makasih banyak ya bu bidan 🙏"
    reading = get_content().read_message(text)
    assert route(reading, text, TOPICS)[0] == "social"
    unsure = dataclasses.replace(reading, scores={**reading.scores, ANY: TOPICS.max_sign_score})
    assert route(unsure, text, TOPICS)[0] == "forwarded"


LOCHIA_TEXT = "bu, darah nifas saya warnanya coklat sekarang, normal kan?"


@pytest.mark.parametrize("text", [
    "makasih bu, dedek dari tadi diem aja",
    "oke bu siap, tapi demamnya belum turun",
    "makasih bu 🙏 semalam saya kepikiran terus",
    "siap bu, sudah 3 kali",
    "rasanya aneh bu",  # the mother about herself: a person reads it
])
def test_a_message_the_reader_calls_social_is_closed_only_when_it_names_nothing(text):
    """The reader's "social" (a calm thank-you) is not enough to close a message that names the body, the
    baby, a number or a worry: it goes on to a topic or a person. A plain thank-you still gets the short reply."""
    plain = "makasih banyak ya bu bidan 🙏"
    calm = get_content().read_message(plain)
    assert calm.kind == "social" and TOPICS.closes(calm, plain)
    assert not TOPICS.closes(calm, text)
    assert route(calm, text, TOPICS)[0] != "social"


def test_a_hypothetical_the_reader_doubts_is_forwarded_too():
    text = "kalau nanti bayi demam, harus ngapain?"
    reading = get_content().read_message(text)
    assert route(reading, text, TOPICS)[0] == "hypothetical"
    doubtful = dataclasses.replace(reading, scores={**reading.scores, ANY: TOPICS.forward_hypothetical})
    assert route(doubtful, text, TOPICS)[0] == "hypothetical+forward"
    # a question naming a sign is where a told sign hides most: it is forwarded from a lower head than a topic
    assert TOPICS.forward_hypothetical < TOPICS.forward_any
    below = dataclasses.replace(reading, scores={**reading.scores, ANY: TOPICS.forward_hypothetical - 0.01})
    assert route(below, text, TOPICS)[0] == "hypothetical"


@pytest.mark.parametrize(("text", "sign"), [
    ("kadang pengen tidur aja gak bangun2 lagi wkwk 😂 capek bgt jadi manusia", "ibu_ingin_mati"),
    ("bun kalo orang minum obat tidur banyak sekaligus bisa ga bangun lagi ga sih? nanya aja", "ibu_ingin_menyakiti"),
])
def test_a_question_naming_an_urgent_sign_of_the_mind_always_reaches_a_person(text, sign):
    """Talk of death or self-harm told as a joke or "just asking" was answered as a question alone by a
    left-out reader: the information, and a person reads it too, however calm the reader."""
    reading = get_content().read_message(text)
    mind = next(s for s in get_content().danger_signs if s.id == sign)
    asked = dataclasses.replace(reading, signs=(), vetoed=(), hypothetical=True, mentioned=(mind,),
                                scores={k: 0.0 for k in reading.scores})
    assert route(asked, text, TOPICS)[0] == "hypothetical+forward"
    body = next(s for s in get_content().danger_signs if s.id == "bayi_demam_dingin")
    assert route(dataclasses.replace(asked, mentioned=(body,)), text, TOPICS)[0] == "hypothetical"


def _with_any(reading, p):
    return dataclasses.replace(reading, scores={**reading.scores, ANY: p})


def test_a_quiet_reading_lets_a_topic_answer_a_finding_it_does_not_speak_about():
    """ "kepala pusing dikit karena kurang tidur" names a finding (pusing) the tiredness topic does not speak
    about: a person reads it, unless the learned reader is sure no sign is told (its "any sign" head below
    ``quiet_any``); then the topic answers, with its go-now line."""
    text = "capek bgt kurang tidur, kepala pusing dikit"
    reading = get_content().read_message(text)
    assert not reading.signs and TOPICS.match(text).id == "mother_tired"
    assert TOPICS.uncovered(TOPICS.match(text), TOPICS._tokens(text))  # pusing: not the topic's
    assert TOPICS.answerable(_with_any(reading, TOPICS.quiet_any), text) is None
    assert TOPICS.answerable(_with_any(reading, TOPICS.quiet_any / 2), text).id == "mother_tired"


@pytest.mark.parametrize("text", [
    "capek bgt kurang tidur, rasanya sedih terus",  # low mood
    "capek bgt begadang, saya terjaga sampai pagi tiap malam",  # nights awake
    "capek bgt, tolong bantu bu",  # a plea
])
def test_a_quiet_reading_never_waives_feelings_nights_awake_or_a_plea(text):
    reading = _with_any(get_content().read_message(text), 0.0)
    assert TOPICS.answerable(reading, text) is None, text


@pytest.mark.parametrize("text", [
    "Bu, dukun pijet badhe rawuh, nanging weteng kula taksih sakit sanget, punapa kenging dipun pijet?",
    "boleh dipijat gak bu? perut saya sakit banget dari tadi",
])
def test_severe_pain_reaches_a_person_even_when_the_reader_missed_the_sign(text):
    """A left-out reader missed a severe belly pain told in krama and was sure no sign was told: the massage
    topic answered it. Severe pain ("sakit sanget", "sakit banget") is never waived."""
    reading = get_content().read_message(text)
    missed = dataclasses.replace(reading, signs=(), vetoed=(), mentioned=(), hypothetical=False,
                                 scores={k: 0.0 for k in reading.scores})
    assert TOPICS.match(text).id == "massage"
    assert TOPICS.answerable(missed, text) is None, text


def test_good_news_is_strict_and_never_negated():
    """Its answer is thanks: never for a message that also names a finding, however quiet the reader, and
    never when the good news is negated ("bayi tidak kuat menyusu")."""
    assert TOPICS.get("good_news").strict
    quiet = _with_any(get_content().read_message("alhamdulillah dedek sehat"), 0.0)
    assert TOPICS.answerable(quiet, "alhamdulillah dedek sehat").id == "good_news"
    assert TOPICS.answerable(quiet, "alhamdulillah dedek sehat, cuma saya pusing") is None
    assert TOPICS.match("dedek nyusunya kuat").id == "good_news"
    for text in ("bayi tidak kuat menyusu", "dedek nyusunya gak kuat"):
        found = TOPICS.match(text)
        assert found is None or found.id != "good_news", text


def test_a_vetoed_rule_hit_is_answered_only_when_the_reader_is_quiet():
    """The rules matched a look-alike the learned reader dropped (vetoed): a person reads it, unless the reader
    is sure no sign is told; then the topic answers (with its go-now line)."""
    text = LOCHIA_TEXT
    reading = get_content().read_message(text)
    sign = get_content().danger_signs[0]
    vetoed = dataclasses.replace(reading, vetoed=(sign,))
    assert TOPICS.answerable(_with_any(vetoed, TOPICS.quiet_any), text) is None
    assert TOPICS.answerable(_with_any(vetoed, 0.0), text).id == "lochia"


def test_nights_awake_are_a_worry_no_sleep_topic_answers():
    """A mother awake for nights ("tetap terjaga sampai pagi", "tiap malam gak bisa tidur") is a person's to
    read, never the sleep topic's: such nights can begin a crisis of the mind."""
    question = "bayi tidur berapa jam sehari normalnya?"
    calm = get_content().read_message(question)
    assert TOPICS.answerable(calm, question).id == "sleep"
    for text in ("walaupun bayi sudah tidur pulas, saya tetap terjaga sampai pagi",
                 "bayi tidur pulas tapi saya tiap malam gak bisa tidur"):
        assert TOPICS.match(text).id == "sleep"
        assert TOPICS.answerable(calm, text) is None, text  # the same calm reading, these words: a person


def test_a_vetoed_rule_hit_with_another_finding_reaches_a_person():
    """Quiet or not, a message whose rule hit the reader vetoed is answered only when it names nothing else:
    "makasih bu … pusarnya merah dan bernanah" is never the medicines topic alone."""
    text = "obat apa yang boleh diminum ibu menyusui? pusarnya merah dan bernanah"
    reading = get_content().read_message(text)
    sign = get_content().danger_signs[0]
    calm = dataclasses.replace(reading, signs=(), kind="health", hypothetical=False, mentioned=(), vetoed=(),
                               scores={k: 0.0 for k in reading.scores})
    assert TOPICS.match(text) is not None and TOPICS.answerable(calm, text) is not None  # quiet: findings waived
    assert TOPICS.answerable(dataclasses.replace(calm, vetoed=(sign,)), text) is None


@pytest.mark.parametrize("text", ["sama2 bu", "Sama2 ya bun 🙏", "makasih2 bu", "pamit dulu bu"])
def test_reduplicated_thanks_are_small_talk_not_a_number(text):
    assert TOPICS.small_talk(text)


def test_a_babys_own_fever_is_never_the_sick_relative_topic():
    for text in ("bayi saya demam boleh digendong?", "dedek demam, boleh dicium?"):
        found = TOPICS.match(text)
        assert found is None or found.id != "sick_family", text


@pytest.mark.parametrize(("text", "kind"), [
    ("doain aku ya biar cepet dijemput", "other"),  # a farewell asking for prayers
    ("udah ga ada alasan buat bertahan", "other"),
    ("kadang pengen tidur aja gak bangun2 lagi, capek bgt", "health"),  # a passive wish to die, not sleep
    ("malam ketiga saya cuma melotot liat langit2, bayi anteng tidur", "health"),  # nights awake
])
def test_a_crisis_the_reader_misses_is_never_answered_by_the_bot(text, kind):
    """Left-out authors' crisis messages the learned reader missed were given the not-health reply or the
    sleep topic: whatever the reading, such words reach a person."""
    reading = get_content().read_message(text)
    calm = dataclasses.replace(reading, signs=(), kind=kind, hypothetical=False, mentioned=(), vetoed=(),
                               scores={k: 0.0 for k in reading.scores})
    assert route(calm, text, TOPICS)[0] == "forwarded", text
