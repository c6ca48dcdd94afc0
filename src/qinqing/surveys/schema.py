"""The questionnaire definition (JSON), its conditions, answer validation and scoring.

    {"title": "…", "intro": "…", "points": [100, 80, 60, 30, 0],
     "dimensions": [{"code": "efficiency", "label": "办事效率"}, …],
     "sections": [{"id": "s1", "title": "…", "condition": null, "questions": [
        {"id": "q1", "type": "scale5", "text": "…", "required": true, "dimension": "efficiency", "weight": 2},
        {"id": "q2", "type": "single", "text": "…", "options": [{"value": "a", "label": "…"}],
         "randomize": true, "condition": {"question": "q1", "op": "lte", "value": 2}},
        {"id": "q3", "type": "matrix", "text": "…", "items": [{"id": "q3a", "text": "…", "dimension": "attitude",
         "weight": 1}]},
        {"id": "q4", "type": "number", "min": 0, "max": 1000}, {"id": "q5", "type": "text", "max_length": 200},
        {"id": "q6", "type": "attention", "text": "请选择“满意”", "expect": 4}]}]}

Five-level answers are stored as 5 (非常满意) … 1 (非常不满意); ``points`` maps them to 100/80/60/30/0 by
default. An answer's score counts with its weight in its dimension; the overall index of a response is the
weighted mean of its scored answers, a dimension score the weighted mean of the dimension's answers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

SCALE5 = [(5, "非常满意"), (4, "满意"), (3, "基本满意"), (2, "不满意"), (1, "非常不满意")]
SCALE_LABEL = dict(SCALE5)
DEFAULT_POINTS = [100, 80, 60, 30, 0]
DEFAULT_DIMENSIONS = [
    {"code": "efficiency", "label": "办事效率"},
    {"code": "accuracy", "label": "办事准确"},
    {"code": "convenience", "label": "便利程度"},
    {"code": "attitude", "label": "服务态度"},
]
TYPES = {
    "single": "单选",
    "multi": "多选",
    "scale5": "五级评价",
    "matrix": "矩阵评价",
    "number": "数字",
    "text": "简答",
    "textarea": "问答",
    "yesno": "是/否",
    "ranking": "排序",
    "attention": "注意力检测",
}
OPS = {"eq", "ne", "in", "not_in", "gte", "lte", "answered"}
CHOICE_TYPES = {"single", "multi", "ranking"}
TEXT_TYPES = {"text", "textarea"}


class DefinitionError(ValueError):
    pass


@dataclass(frozen=True)
class Condition:
    question: str
    op: str
    value: Any

    def holds(self, answers: dict[str, Any]) -> bool:
        given = answers.get(self.question)
        if self.op == "answered":
            return given not in (None, "", [], {})
        if given in (None, "", [], {}):
            return False
        values = self.value if isinstance(self.value, list) else [self.value]
        if self.op in ("gte", "lte"):
            try:
                a, b = float(given), float(self.value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                return False
            return a >= b if self.op == "gte" else a <= b
        given_set = {str(g) for g in given} if isinstance(given, list) else {str(given)}
        hit = bool(given_set & {str(v) for v in values})
        if self.op in ("eq", "in"):
            return hit
        return not hit


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    dimension: str
    weight: float


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    text: str
    required: bool = False
    options: tuple[tuple[str, str], ...] = ()
    items: tuple[Item, ...] = ()
    randomize: bool = False
    condition: Condition | None = None
    dimension: str = ""
    weight: float = 0.0
    min: float | None = None
    max: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    expect: int | None = None
    help: str = ""

    @property
    def scored_items(self) -> list[Item]:
        if self.type == "scale5" and self.weight > 0:
            return [Item(self.id, self.text, self.dimension, self.weight)]
        if self.type == "matrix":
            return [i for i in self.items if i.weight > 0]
        return []

    def option_order(self, seed: str) -> list[tuple[str, str]]:
        """Options as shown: shuffled per respondent (stable for the draft) when randomize is set."""
        opts = list(self.options)
        if self.randomize:
            random.Random(f"{seed}:{self.id}").shuffle(opts)
        return opts

    def label_of(self, value: Any) -> str:
        if self.type in ("scale5", "attention"):
            return SCALE_LABEL.get(int(value), str(value)) if str(value).isdigit() else str(value)
        if self.type == "yesno":
            return {"yes": "是", "no": "否"}.get(str(value), str(value))
        return dict(self.options).get(str(value), str(value))


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    questions: tuple[Question, ...]
    condition: Condition | None = None


@dataclass
class Definition:
    title: str
    intro: str
    points: list[float]
    dimensions: list[dict[str, str]]
    sections: list[Section]
    raw: dict[str, Any] = field(default_factory=dict)

    # --- parsing ------------------------------------------------------------------------------------
    @classmethod
    def parse(cls, data: Any) -> Definition:
        if not isinstance(data, dict):
            raise DefinitionError("问卷定义应为 JSON 对象")
        points = data.get("points") or DEFAULT_POINTS
        if not (
            isinstance(points, list) and len(points) == 5 and all(isinstance(p, int | float) for p in points)
        ):
            raise DefinitionError("五级评分应为 5 个数字（非常满意 … 非常不满意）")
        dimensions = data.get("dimensions") or DEFAULT_DIMENSIONS
        codes = {d.get("code") for d in dimensions if isinstance(d, dict)}
        if len(codes) != len(dimensions) or None in codes or "" in codes:
            raise DefinitionError("维度应有唯一的代码")
        seen: set[str] = set()
        sections: list[Section] = []
        raw_sections = data.get("sections")
        if not isinstance(raw_sections, list) or not raw_sections:
            raise DefinitionError("问卷至少需要一个部分")
        for s_index, raw in enumerate(raw_sections, 1):
            if not isinstance(raw, dict):
                raise DefinitionError(f"第 {s_index} 部分格式有误")
            sid = str(raw.get("id") or f"s{s_index}")
            condition = _condition(raw.get("condition"), seen, f"第 {s_index} 部分")
            questions = []
            for q_index, rq in enumerate(raw.get("questions") or [], 1):
                questions.append(_question(rq, seen, codes, f"第 {s_index} 部分第 {q_index} 题"))
            sections.append(Section(sid, str(raw.get("title") or ""), tuple(questions), condition))
        return cls(
            title=str(data.get("title") or ""),
            intro=str(data.get("intro") or ""),
            points=[float(p) for p in points],
            dimensions=[
                {"code": str(d["code"]), "label": str(d.get("label") or d["code"])} for d in dimensions
            ],
            sections=sections,
            raw=data,
        )

    # --- reading ----------------------------------------------------------------------------------
    def questions(self) -> list[Question]:
        return [q for s in self.sections for q in s.questions]

    def question(self, qid: str) -> Question | None:
        return next((q for q in self.questions() if q.id == qid), None)

    def scored_items(self) -> list[tuple[Question, Item]]:
        return [(q, i) for q in self.questions() for i in q.scored_items]

    def dimension_label(self, code: str) -> str:
        return next((d["label"] for d in self.dimensions if d["code"] == code), code or "总指数")

    def visible_sections(self, answers: dict[str, Any]) -> list[Section]:
        return [s for s in self.sections if s.condition is None or s.condition.holds(answers)]

    def visible_questions(self, section: Section, answers: dict[str, Any]) -> list[Question]:
        return [q for q in section.questions if q.condition is None or q.condition.holds(answers)]

    def points_of(self, level: int) -> float:
        return self.points[5 - level]

    # --- answers ----------------------------------------------------------------------------------
    def clean_section(
        self, section: Section, answers: dict[str, Any], given: dict[str, Any]
    ) -> dict[str, str]:
        """Validate GIVEN (one page's answers) into ANSWERS in place; errors per question id."""
        errors: dict[str, str] = {}
        for q in section.questions:
            answers.pop(q.id, None)
        merged = dict(answers)
        for q in section.questions:
            if q.condition is not None and not q.condition.holds(merged):
                continue
            value, error = _clean_answer(q, given.get(q.id))
            if error:
                errors[q.id] = error
            elif value is not None:
                merged[q.id] = value
        if not errors:
            answers.clear()
            answers.update(merged)
        return errors

    def prune(self, answers: dict[str, Any]) -> dict[str, Any]:
        """Drop answers to questions a condition now hides (an earlier answer changed)."""
        kept: dict[str, Any] = {}
        for s in self.sections:
            if s.condition is not None and not s.condition.holds(kept):
                continue
            for q in s.questions:
                if q.id in answers and (q.condition is None or q.condition.holds(kept)):
                    kept[q.id] = answers[q.id]
        return kept

    def missing_required(self, answers: dict[str, Any]) -> list[str]:
        missing = []
        for s in self.visible_sections(answers):
            for q in self.visible_questions(s, answers):
                if q.required and answers.get(q.id) in (None, "", [], {}):
                    missing.append(q.id)
        return missing

    def attention_passed(self, answers: dict[str, Any]) -> bool:
        for q in self.questions():
            if q.type == "attention" and q.id in answers and int(answers[q.id]) != q.expect:
                return False
        return True

    def score(self, answers: dict[str, Any]) -> Scores:
        total_w = total_wp = 0.0
        dims: dict[str, list[float]] = {}
        rated = satisfied = 0
        for q, item in self.scored_items():
            value = answers.get(q.id)
            if q.type == "matrix":
                value = value.get(item.id) if isinstance(value, dict) else None
            if value is None or value == "":
                continue
            level = int(value)
            p = self.points_of(level)
            total_w += item.weight
            total_wp += item.weight * p
            acc = dims.setdefault(item.dimension, [0.0, 0.0])
            acc[0] += item.weight
            acc[1] += item.weight * p
            rated += 1
            satisfied += level >= 4
        return Scores(
            index=None if total_w == 0 else total_wp / total_w,
            dimensions={d: wp / w for d, (w, wp) in dims.items() if w > 0},
            rated=rated,
            satisfied=satisfied,
        )


@dataclass(frozen=True)
class Scores:
    index: float | None
    dimensions: dict[str, float]
    rated: int
    satisfied: int


def _condition(raw: Any, seen: set[str], where: str) -> Condition | None:
    if raw in (None, {}, ""):
        return None
    if not isinstance(raw, dict) or raw.get("op") not in OPS:
        raise DefinitionError(f"{where}的显示条件有误")
    question = str(raw.get("question") or "")
    if question not in seen:
        raise DefinitionError(f"{where}的显示条件只能引用前面的题目（{question or '未指定'}）")
    return Condition(question, str(raw["op"]), raw.get("value"))


def _number(raw: dict[str, Any], key: str) -> float | None:
    value = raw.get(key)
    if value in (None, ""):
        return None
    if not isinstance(value, int | float):
        raise DefinitionError(f"{key} 应为数字")
    return float(value)


def _question(raw: Any, seen: set[str], dims: set[Any], where: str) -> Question:
    if not isinstance(raw, dict):
        raise DefinitionError(f"{where}格式有误")
    qid = str(raw.get("id") or "")
    qtype = raw.get("type")
    if not qid or not qid.replace("_", "").isalnum():
        raise DefinitionError(f"{where}缺少题号（字母数字）")
    if qid in seen:
        raise DefinitionError(f"题号 {qid} 重复")
    if qtype not in TYPES:
        raise DefinitionError(f"{where}的题型 {qtype} 不支持")
    condition = _condition(raw.get("condition"), seen, where)
    options: tuple[tuple[str, str], ...] = ()
    if qtype in CHOICE_TYPES:
        opts = raw.get("options") or []
        options = tuple(
            (str(o.get("value")), str(o.get("label") or o.get("value"))) for o in opts if isinstance(o, dict)
        )
        if len(options) < 2 or len({v for v, _ in options}) != len(options):
            raise DefinitionError(f"{where}至少需要两个不重复的选项")
    items: list[Item] = []
    if qtype == "matrix":
        for ri in raw.get("items") or []:
            iid = str(ri.get("id") or "")
            if not iid or iid in seen:
                raise DefinitionError(f"{where}的分项题号缺失或重复")
            dim = str(ri.get("dimension") or "")
            if dim and dim not in dims:
                raise DefinitionError(f"{where}的分项维度 {dim} 未定义")
            items.append(Item(iid, str(ri.get("text") or ""), dim, float(ri.get("weight", 1) or 0)))
            seen.add(iid)
        if not items:
            raise DefinitionError(f"{where}的矩阵题至少需要一个分项")
    dimension = str(raw.get("dimension") or "")
    if dimension and dimension not in dims:
        raise DefinitionError(f"{where}的维度 {dimension} 未定义")
    weight = float(raw.get("weight", 1 if qtype == "scale5" else 0) or 0)
    if weight < 0:
        raise DefinitionError(f"{where}的权重不能为负")
    expect = raw.get("expect")
    if qtype == "attention" and expect not in (1, 2, 3, 4, 5):
        raise DefinitionError(f"{where}的注意力检测需指定期望答案（1–5）")
    q = Question(
        id=qid,
        type=qtype,
        text=str(raw.get("text") or ""),
        required=bool(raw.get("required", False)),
        options=options,
        items=tuple(items),
        randomize=bool(raw.get("randomize", False)),
        condition=condition,
        dimension=dimension,
        weight=weight if qtype == "scale5" else 0.0,
        min=_number(raw, "min"),
        max=_number(raw, "max"),
        min_length=int(raw["min_length"]) if raw.get("min_length") else None,
        max_length=int(raw["max_length"]) if raw.get("max_length") else None,
        expect=int(expect) if qtype == "attention" and expect is not None else None,
        help=str(raw.get("help") or ""),
    )
    seen.add(qid)
    return q


def _clean_answer(q: Question, given: Any) -> tuple[Any, str]:
    """The stored form of GIVEN for Q, or an error message."""
    empty = given in (None, "", [], {}) or (
        isinstance(given, dict) and not any(v not in (None, "") for v in given.values())
    )
    if empty:
        return None, ("此题为必答题" if q.required else "")
    if q.type in ("scale5", "attention"):
        try:
            level = int(given)
        except (TypeError, ValueError):
            return None, "请选择一个评价等级"
        return (level, "") if 1 <= level <= 5 else (None, "请选择一个评价等级")
    if q.type == "single":
        value = str(given)
        return (value, "") if value in dict(q.options) else (None, "请选择一个选项")
    if q.type == "yesno":
        value = str(given)
        return (value, "") if value in ("yes", "no") else (None, "请选择是或否")
    if q.type == "multi":
        values = [str(v) for v in (given if isinstance(given, list) else [given])]
        allowed = [v for v, _ in q.options]
        if any(v not in allowed for v in values):
            return None, "选项无效"
        values = [v for v in allowed if v in values]
        if q.min is not None and len(values) < q.min:
            return None, f"至少选择 {int(q.min)} 项"
        if q.max is not None and len(values) > q.max:
            return None, f"最多选择 {int(q.max)} 项"
        return values, ""
    if q.type == "ranking":
        values = [str(v) for v in (given if isinstance(given, list) else [given])]
        if sorted(values) != sorted(v for v, _ in q.options):
            return None, "请为每个选项排出唯一的名次"
        return values, ""
    if q.type == "matrix":
        if not isinstance(given, dict):
            return None, "请逐项评价"
        out: dict[str, int] = {}
        for item in q.items:
            raw = given.get(item.id)
            if raw in (None, ""):
                if q.required:
                    return None, f"请评价：{item.text}"
                continue
            try:
                level = int(str(raw))
            except (TypeError, ValueError):
                return None, f"请评价：{item.text}"
            if not 1 <= level <= 5:
                return None, f"请评价：{item.text}"
            out[item.id] = level
        return out, ""
    if q.type == "number":
        try:
            number = float(str(given).strip())
        except ValueError:
            return None, "请输入数字"
        if q.min is not None and number < q.min:
            return None, f"不能小于 {_fmt(q.min)}"
        if q.max is not None and number > q.max:
            return None, f"不能大于 {_fmt(q.max)}"
        return (int(number) if number.is_integer() else number), ""
    text = str(given).strip()
    if q.min_length is not None and len(text) < q.min_length:
        return None, f"至少 {q.min_length} 个字"
    limit = q.max_length or (200 if q.type == "text" else 2000)
    if len(text) > limit:
        return None, f"最多 {limit} 个字"
    return text, ""


def _fmt(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)


def stratum_label(key: str, fields: list[str]) -> str:
    """Human label of a stratum key ("C|small" → "制造业 · 小型")."""
    from qinqing.enterprises.industries import SECTION_CHOICES
    from qinqing.enterprises.models import Ownership, Scale

    if not key:
        return "全部"
    labels = {
        "industry_section": dict(SECTION_CHOICES),
        "scale": dict(Scale.choices),
        "ownership": dict(Ownership.choices),
    }
    parts = key.split("|")
    return " · ".join(str(labels.get(f, {}).get(p, p)) for f, p in zip(fields, parts, strict=False))
