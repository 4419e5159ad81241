"""The Mission's bank and scoring: the lecture's question, coverage, links, the credit rule."""

import re

import pytest

from depthkit import quiz
from tests.apptest_util import PAGES

LECTURE = "/work/shared/seed/000_08a4fee4bded4acf.txt"


def test_lecture_question_word_for_word_with_its_answer():
    q = quiz.BANK[0]
    assert q.prompt == "Which of the following correctly describes the vanishing gradient problem?"
    assert [text for _, text in q.options] == [
        "Training of the model becomes very slow.",
        "Gradients become too large, leading to very large weight updates.",
        "Little to no weight update occurs in the model.",
        "The model overfits the training data."]
    assert [q.option_text(o) for o in q.correct] == ["Little to no weight update occurs in the model."]
    assert not q.multiple


def test_lecture_question_matches_the_seed_text():
    try:
        lines = [line.strip() for line in open(LECTURE, encoding="utf-8")]
    except OSError:
        pytest.skip("the lecture text is not on this machine")
    q = quiz.BANK[0]
    start = lines.index(q.prompt)
    shown = [line for line in lines[start + 1:] if line][:4]
    assert shown == [text for _, text in q.options]


def test_bank_covers_every_problem_and_both_kinds():
    assert len(quiz.BANK) >= 12
    for problem in quiz.PROBLEMS:
        assert len(quiz.questions(problem)) >= 3, problem
    assert any(q.multiple for q in quiz.BANK) and any(not q.multiple for q in quiz.BANK)
    assert sum(q.reads_chart for q in quiz.BANK) >= 6
    topics = " ".join(q.prompt + " ".join(t for _, t in q.options) for q in quiz.BANK).lower()
    for topic in ("activation", "initialization", "normalization", "residual", "clip", "dropout",
                  "weight decay", "early stopping", "data", "gpu"):
        assert topic in topics, topic


@pytest.mark.parametrize("q", quiz.BANK, ids=lambda q: q.id)
def test_each_question_is_well_formed(q):
    assert quiz.QUESTION_ID.match(q.id)
    assert all(quiz.OPTION_ID.match(o) for o in q.option_ids)
    assert 3 <= len(q.options) <= 6
    assert q.correct and q.correct <= set(q.option_ids)
    assert q.multiple == (len(q.correct) > 1)
    assert q.multiple == q.id.endswith("-multi")
    assert len(set(t for _, t in q.options)) == len(q.options)
    text = q.explanation.strip().replace("et al.", "et al")  # not a sentence end
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if s]
    assert len(sentences) == 2, q.explanation  # the issue asks for two sentences
    assert q.page in PAGES, f"{q.page} is not a registered page"


def test_every_explanation_links_to_an_existing_page():
    from tests.apptest_util import ROOT
    for q in quiz.BANK:
        assert (ROOT / q.page).is_file()
        assert q.page in {"pages/vanishing.py", "pages/exploding.py", "pages/overfitting.py",
                          "pages/speed.py"}


def test_filter_by_problem():
    assert quiz.questions() == quiz.questions("all") == quiz.BANK
    assert {q.problem for q in quiz.questions("exploding")} == {"exploding"}
    with pytest.raises(ValueError):
        quiz.questions("nonsense")


def _right(q):
    return set(q.correct)


def _wrong(q):
    return {sorted(set(q.option_ids) - q.correct)[0]}


def test_all_right_all_wrong_and_partial():
    qs = quiz.BANK
    assert quiz.grade(qs, {q.id: _right(q) for q in qs}).points == len(qs)
    all_right = quiz.grade(qs, {q.id: _right(q) for q in qs})
    assert all_right.n_right == len(qs) and all_right.text() == f"{len(qs)} / {len(qs)}"
    all_wrong = quiz.grade(qs, {q.id: _wrong(q) for q in qs})
    assert all_wrong.points == 0 and all_wrong.n_right == 0
    assert quiz.grade(qs, {}).points == 0
    half = {q.id: (_right(q) if i % 2 == 0 else _wrong(q)) for i, q in enumerate(qs)}
    score = quiz.grade(qs, half)
    assert score.points == len(range(0, len(qs), 2)) and score.total == len(qs)
    assert [g.right for g in score.graded] == [i % 2 == 0 for i in range(len(qs))]


def test_multiple_choice_partial_credit_rule():
    q = quiz.BY_ID["overfitting-remedies-multi"]  # a-d correct, e-f wrong: k = 4
    assert q.multiple and len(q.correct) == 4
    assert quiz.credit(q, "abcd") == 1.0
    assert quiz.credit(q, "ab") == 0.5  # each correct tick: +1/k
    assert quiz.credit(q, "abc") == 0.75
    assert quiz.credit(q, "abce") == 0.5  # each wrong tick: -1/k
    assert quiz.credit(q, "abcdef") == 0.5  # ticking everything: (4 - 2) / 4
    assert quiz.credit(q, "ef") == 0.0  # never below zero
    assert quiz.credit(q, "ae") == 0.0
    assert quiz.credit(q, "") == 0.0
    score = quiz.grade([q, quiz.BANK[0]], {q.id: "ab", quiz.BANK[0].id: "c"})
    assert score.points == 1.5 and score.text() == "1.5 / 2" and score.n_right == 1


def test_single_choice_takes_exactly_the_correct_option():
    q = quiz.BANK[0]
    assert quiz.credit(q, "c") == 1.0
    assert quiz.credit(q, "a") == 0.0
    assert quiz.credit(q, "ac") == 0.0


def test_option_order_is_seeded_and_a_permutation():
    for q in quiz.BANK:
        for seed in (0, 1, 42):
            order = quiz.option_order(q, seed)
            assert sorted(order) == sorted(q.option_ids)
            assert order == quiz.option_order(q, seed)
    orders = {tuple(quiz.option_order(q, s) for q in quiz.BANK) for s in range(20)}
    assert len(orders) > 15  # different seeds give different orders


def test_progress_counts_answered_questions():
    qs = quiz.questions("vanishing")
    assert quiz.progress(qs, {}) == (0, len(qs))
    assert quiz.progress(qs, {qs[0].id: "a", qs[1].id: ()}) == (1, len(qs))


@pytest.mark.parametrize("bad", ["", "x", "A" * 100, "lecture-vanishing'; DROP TABLE", "Lecture-Vanishing",
                                 "no-such-question", None, 3])
def test_bad_question_ids_are_rejected(bad):
    with pytest.raises(ValueError):
        quiz.question(bad)


def test_bad_options_are_rejected():
    q, m = quiz.BANK[0], quiz.BY_ID["exploding-signs-multi"]
    assert quiz.check_options(q, ["c"]) == {"c"}
    assert quiz.check_options(m, ["a", "b"]) == {"a", "b"}
    for bad in (["z"], ["e"], [], ["a", "b"], ["<b>"], [1]):
        with pytest.raises(ValueError):
            quiz.check_options(q, bad)
