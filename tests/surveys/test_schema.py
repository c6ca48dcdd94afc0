"""Conditions, validation and scoring against a hand-computed example."""

from __future__ import annotations

import copy

import pytest

from qinqing.surveys import builder, schema
from tests.surveys.conftest import ANSWERS, DEFINITION


@pytest.fixture
def definition() -> schema.Definition:
    return schema.Definition.parse(DEFINITION)


def test_score_matches_the_hand_computed_example(definition: schema.Definition) -> None:
    s = definition.score(ANSWERS)
    # q1 非常满意 100 × weight 2, q4_1 满意 80, q4_2 基本满意 60, q5 不满意 30 (weights 1): 370 ÷ 5
    assert s.index == pytest.approx(74.0)
    assert s.dimensions == {"efficiency": 100.0, "attitude": 80.0, "accuracy": 60.0, "convenience": 30.0}
    assert (s.rated, s.satisfied) == (4, 2)


def test_custom_points_and_weights() -> None:
    data = copy.deepcopy(DEFINITION)
    data["points"] = [10, 8, 6, 4, 0]
    data["sections"][0]["questions"][0]["weight"] = 3
    d = schema.Definition.parse(data)
    s = d.score({"q1": 4, "q2": "no", "q4": {"q4_1": 5, "q4_2": 1}})
    assert s.index == pytest.approx((3 * 8 + 10 + 0) / 5)
    assert s.dimensions["efficiency"] == 8


def test_a_condition_hides_the_question_and_the_section(definition: schema.Definition) -> None:
    first = definition.sections[0]
    answers: dict = {}
    errors = definition.clean_section(
        first, answers, {"q1": "4", "q2": "no", "q3": "", "q4": {"q4_1": "4", "q4_2": "4"}}
    )
    assert errors == {}
    assert "q3" not in answers  # hidden: not required, not stored
    assert [s.id for s in definition.visible_sections(answers)] == ["s1", "s3"]
    answers2: dict = {}
    errors = definition.clean_section(
        first, answers2, {"q1": "4", "q2": "yes", "q3": "", "q4": {"q4_1": "4", "q4_2": "4"}}
    )
    assert errors == {"q3": "此题为必答题"}
    assert answers2 == {}  # nothing half-written


def test_changing_an_earlier_answer_prunes_the_hidden_answers(definition: schema.Definition) -> None:
    pruned = definition.prune({**ANSWERS, "q2": "no"})
    assert "q3" not in pruned and "q5" not in pruned and "q6" not in pruned
    assert pruned["q1"] == 5


@pytest.mark.parametrize(
    ("qid", "value", "error"),
    [
        ("q6", "31", "不能大于 30"),
        ("q6", "-1", "不能小于 0"),
        ("q6", "abc", "请输入数字"),
        ("q5", "7", "请选择一个评价等级"),
    ],
)
def test_validation_messages(definition: schema.Definition, qid: str, value: str, error: str) -> None:
    section = definition.sections[1]
    answers = {"q2": "yes"}
    given = {"q5": "3", "q6": "2", qid: value}
    assert definition.clean_section(section, answers, given) == {qid: error}


def test_text_length_and_choices() -> None:
    data = copy.deepcopy(DEFINITION)
    data["sections"][2]["questions"][0]["min_length"] = 5
    d = schema.Definition.parse(data)
    assert d.clean_section(d.sections[2], {}, {"q7": "短", "q8": "4"}) == {"q7": "至少 5 个字"}
    assert d.clean_section(d.sections[2], {}, {"q7": "x" * 501, "q8": "4"}) == {"q7": "最多 500 个字"}
    assert d.clean_section(
        d.sections[0], {}, {"q1": "4", "q2": "yes", "q3": "z", "q4": {"q4_1": "4", "q4_2": "4"}}
    ) == {"q3": "请选择一个选项"}


def test_multi_ranking_and_attention() -> None:
    d = schema.Definition.parse(
        {
            "sections": [
                {
                    "id": "s1",
                    "questions": [
                        {
                            "id": "m",
                            "type": "multi",
                            "text": "多选",
                            "max": 2,
                            "options": [{"value": "a"}, {"value": "b"}, {"value": "c"}],
                        },
                        {
                            "id": "r",
                            "type": "ranking",
                            "text": "排序",
                            "options": [{"value": "a"}, {"value": "b"}],
                        },
                        {"id": "t", "type": "attention", "text": "请选满意", "expect": 4},
                    ],
                }
            ]
        }
    )
    s = d.sections[0]
    assert d.clean_section(s, {}, {"m": ["a", "b", "c"]}) == {"m": "最多选择 2 项"}
    assert d.clean_section(s, {}, {"r": ["a", "a"]}) == {"r": "请为每个选项排出唯一的名次"}
    answers: dict = {}
    assert d.clean_section(s, answers, {"m": ["c", "a"], "r": ["b", "a"], "t": "2"}) == {}
    assert answers == {"m": ["a", "c"], "r": ["b", "a"], "t": 2}
    assert d.attention_passed(answers) is False
    assert d.attention_passed({**answers, "t": 4}) is True


def test_randomised_options_are_stable_per_respondent() -> None:
    data = copy.deepcopy(DEFINITION)
    data["sections"][0]["questions"][2]["randomize"] = True
    q = schema.Definition.parse(data).question("q3")
    assert q is not None
    orders = {tuple(v for v, _ in q.option_order(f"draft-{i}")) for i in range(20)}
    assert len(orders) > 1  # shuffled between respondents
    assert q.option_order("draft-1") == q.option_order("draft-1")  # stable for one draft


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["sections"][0]["questions"][2].update(
                condition={"question": "q9", "op": "eq", "value": "x"}
            ),
            "只能引用前面的题目",
        ),
        (lambda d: d["sections"][0]["questions"][0].update(type="slider"), "题型 slider 不支持"),
        (lambda d: d["sections"][0]["questions"][0].update(dimension="speed"), "维度 speed 未定义"),
        (lambda d: d["sections"][0]["questions"][1].update(id="q1"), "题号 q1 重复"),
        (lambda d: d.update(points=[100, 80]), "五级评分应为 5 个数字"),
    ],
)
def test_invalid_definitions_are_refused(change, message: str) -> None:  # type: ignore[no-untyped-def]
    data = copy.deepcopy(DEFINITION)
    change(data)
    with pytest.raises(schema.DefinitionError, match=message):
        schema.Definition.parse(data)


def test_builder_edits() -> None:
    d = builder.add_section(DEFINITION, "补充", {"question": "q1", "op": "lte", "value": 2})
    assert d["sections"][-1]["id"] == "s4"
    d = builder.add_question(d, "s4", {"type": "text", "text": "不满意的原因"})
    assert d["sections"][-1]["questions"][0]["id"] == "q9"  # q1–q8 taken
    d = builder.move_question(d, "q2", -1)
    assert [q["id"] for q in d["sections"][0]["questions"]][:2] == ["q2", "q1"]
    d = builder.remove_question(d, "q9")
    assert d["sections"][-1]["questions"] == []
    assert builder.parse_options("窗口\nweb=网上") == [
        {"value": "a", "label": "窗口"},
        {"value": "web", "label": "网上"},
    ]
    schema.Definition.parse(d)
