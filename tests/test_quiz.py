"""The Mission's bank and scoring: the lecture's question, coverage, links, the credit rule."""

import re

import pytest

from depthkit.workshop import quiz
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
    assert len(quiz.BANK) >= 24
    for problem in quiz.PROBLEMS:
        assert len(quiz.questions(problem)) >= 5, problem
    assert any(q.multiple for q in quiz.BANK) and any(not q.multiple for q in quiz.BANK)
    assert sum(q.reads_chart for q in quiz.BANK) >= 6
    topics = " ".join(q.prompt + " ".join(t for _, t in q.options) for q in quiz.BANK).lower()
    for topic in ("activation", "initialization", "normalization", "residual", "clip", "dropout",
                  "weight decay", "early stopping", "data", "gpu", "validation", "test set",
                  "batch norm", "skip connections", "jacobian", "float32", "degradation"):
        assert topic in topics, topic


def _in_words(n):
    units = "zero one two three four five six seven eight nine".split()
    tens = {2: "twenty", 3: "thirty", 4: "forty"}
    return tens[n // 10] + ("-" + units[n % 10] if n % 10 else "")


def test_readme_counts_the_questions():
    from tests.apptest_util import ROOT
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    mission = readme[readme.index("### Mission"):]
    assert mission.split("\n")[1].startswith(_in_words(len(quiz.BANK)).capitalize() + " scored questions")


def test_lecture_explanation_says_why_slow_training_is_a_symptom():
    text = quiz.BANK[0].explanation
    assert "little to no weight update" in text and "slow" in text and "symptom" in text


def _texts():
    for q in quiz.BANK:
        yield q.id, q.prompt
        for _, text in q.options:
            yield q.id, text
        yield q.id, q.explanation


# computer notation and other ways of writing numbers for machines, not people
MACHINE_NUMBER = re.compile(r"\d[eE][+-]?\d|\bnan\b|\binf\b|\^|\*\*|sqrt\(|\d{5,}|\b\d\.\d{4,}")


def test_numbers_in_the_quiz_are_written_for_people():
    for qid, text in _texts():
        assert not MACHINE_NUMBER.search(text), (qid, MACHINE_NUMBER.search(text).group(), text)
        # four-digit numbers are years only; larger ones carry a thousands separator
        for match in re.finditer(r"\b\d{4}\b", text):
            assert 1990 <= int(match.group()) <= 2030, (qid, text)


def test_the_sigmoid_explanations_do_not_call_0_25_a_bound_on_the_factor():
    q = quiz.BY_ID["vanishing-sigmoid-derivative"]
    assert "0.25·‖W‖₂" in q.explanation and "not by 0.25" in q.explanation
    # the bound at the page's width 16 (0.29 was width 32's, which the page does not use)
    assert "0.26" in q.explanation and "0.14" in q.explanation and "19 factors" in q.explanation
    # Glorot and Bengio's scale balances tanh (slope 1 at 0), not the sigmoid (review finding 1)
    assert "balances it for tanh (slope 1 at 0), not for the sigmoid" in q.explanation
    wrong = "Each layer multiplies it by at most 0.25, whatever the weights, because σ′ is never above 0.25."
    assert wrong in [t for _, t in q.options] and q.option_text(next(iter(q.correct))) != wrong
    for qid, text in _texts():
        assert "at most 0.25" not in text or qid == q.id, (qid, text)
        assert "0.25^" not in text and "10^-" not in text, (qid, text)


ABSURD_OPTIONS = ("infinite.", "exactly zero in every layer.")
ABSURD = ("dataset file on disk", "GPUs prevent vanishing gradients", "exactly zero in every layer",
          "only the rare huge steps", "keeps its size", "thousands of times too large", "a few dozen steps",
          "label-blurring", "phase diagram", "He et al. (2015) found", "degradation He et al. (2015)")


# distractors no learner holds (science review 2026-12, section 2), replaced by misconceptions
NOBODY_BELIEVES = ("It adds parameters, and more parameters make larger gradients.",
                   "It doubles the learning rate of the layers before it.",
                   "PyTorch skips the update of any layer whose gradient is below a tolerance.",
                   "SGD updates the layers one after another from the output, and never reached the first.",
                   "Training on much smaller batches.",
                   "The number of parameters alone: time grows with the square of the parameter count.",
                   "After early stopping, the network is trained further on the test set.")


def test_no_absurd_distractors_nor_the_reviewed_wrong_wording():
    for qid, text in _texts():
        assert text.lower() not in ABSURD_OPTIONS, (qid, text)
        for phrase in ABSURD:
            assert phrase.lower() not in text.lower(), (qid, phrase)
    options = {text for q in quiz.BANK for _, text in q.options}
    assert not options & set(NOBODY_BELIEVES)


def _key_and_others(q):
    key = q.option_text(next(iter(q.correct)))
    return key, [text for o, text in q.options if o not in q.correct]


def test_the_key_does_not_give_itself_away_by_length():
    """A test-wise room must not find the answer by picking the longest, most qualified option."""
    single = [q for q in quiz.BANK if not q.multiple]
    longest = [q.id for q in single if len(_key_and_others(q)[0]) >= max(map(len, _key_and_others(q)[1]))]
    assert len(longest) <= len(single) / 3, longest
    for q in single:
        key, others = _key_and_others(q)
        assert len(key) <= 1.5 * sum(map(len, others)) / len(others), (q.id, key)


# questions that ask to apply an idea to a case no page's default run shows
TRANSFER = ("vanishing-diagnose", "vanishing-adam-epsilon", "vanishing-standardize", "vanishing-tanh-xavier",
            "exploding-gain-ratio", "exploding-clipping-cause")


def test_transfer_questions_are_in_the_bank():
    assert set(TRANSFER) <= set(quiz.BY_ID)
    # of the two items that tested "balance at g = √2", one became the gain-versus-ratio question
    assert "exploding-phase-gain" not in quiz.BY_ID and "exploding-crossing" in quiz.BY_ID


@pytest.mark.parametrize("q", quiz.BANK, ids=lambda q: q.id)
def test_the_first_sentence_alone_answers_why(q):
    """The poll's reveal and the Mission show `short` and keep `more` behind a "More" expander."""
    assert q.short and q.short.endswith((".", ")")) and len(q.short.split()) <= 30, q.short
    assert q.more and f"{q.short} {q.more}" == " ".join(q.explanation.split())
    assert len(quiz.sentences(q.more)) <= 3, q.more  # a projector's worth, not a page


def test_short_and_more_split_at_the_first_sentence_end_but_not_at_et_al():
    q = quiz.Question("x-y-z", "vanishing", "?", (("a", "A."), ("b", "B.")), frozenset("a"),
                      "First, after He et al. 2016, the why. Then the rest (Yang et al. 2019). Last one!")
    assert q.short == "First, after He et al. 2016, the why."
    assert q.more == "Then the rest (Yang et al. 2019). Last one!"
    assert quiz.sentences("One sentence only.") == ["One sentence only."]
    alone = quiz.Question("x-y-z", "vanishing", "?", (("a", "A."), ("b", "B.")), frozenset("a"), "Why.")
    assert alone.short == "Why." and alone.more == ""


@pytest.mark.parametrize("q", [q for q in quiz.BANK if q.multiple], ids=lambda q: q.id)
def test_ticking_every_option_earns_nothing(q):
    """Correct options at most half of all (rounded down), so ticking all earns 0 under `credit`."""
    assert len(q.correct) <= len(q.options) // 2
    assert quiz.credit(q, q.option_ids) == 0.0
    assert quiz.credit(q, q.correct) == 1.0


@pytest.mark.parametrize("q", quiz.BANK, ids=lambda q: q.id)
def test_each_question_is_well_formed(q):
    assert quiz.QUESTION_ID.match(q.id)
    assert all(quiz.OPTION_ID.match(o) for o in q.option_ids)
    assert 3 <= len(q.options) <= 6
    assert q.correct and q.correct <= set(q.option_ids)
    assert q.multiple == (len(q.correct) > 1)
    assert q.multiple == q.id.endswith("-multi")
    assert len(set(t for _, t in q.options)) == len(q.options)
    assert 2 <= len(quiz.sentences(q.explanation)) <= 4, q.explanation  # the why, then at most three more
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
    q = quiz.BY_ID["overfitting-remedies-multi"]  # a-c correct, d-f wrong: k = 3
    assert q.multiple and len(q.correct) == 3 and len(q.options) == 6
    assert quiz.credit(q, "abc") == 1.0
    assert quiz.credit(q, "ab") == pytest.approx(2 / 3)  # each correct tick: +1/k
    assert quiz.credit(q, "a") == pytest.approx(1 / 3)
    assert quiz.credit(q, "abce") == pytest.approx(2 / 3)  # each wrong tick: -1/k
    assert quiz.credit(q, "abcdef") == 0.0  # ticking everything: (3 - 3) / 3
    assert quiz.credit(q, "abcd") == pytest.approx(2 / 3)
    assert quiz.credit(q, "ef") == 0.0  # never below zero
    assert quiz.credit(q, "ae") == 0.0
    assert quiz.credit(q, "") == 0.0
    # the rule as the Mission page and the poll state it
    assert quiz.SEVERAL_RULE == ("each correct tick earns 1/k of the point (k = number of correct options), "
                                 "each wrong tick takes 1/k away, never below 0")
    score = quiz.grade([q, quiz.BANK[0]], {q.id: "ab", quiz.BANK[0].id: "c"})
    assert score.points == pytest.approx(5 / 3) and score.text() == "1.67 / 2" and score.n_right == 1


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
