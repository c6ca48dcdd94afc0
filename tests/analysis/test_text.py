"""Segmentation with the domain dictionary, top terms with trend, and the duplicate detector's quality."""

from __future__ import annotations

from qinqing.analysis import text as T
from tests.analysis.labelled_pairs import PAIRS

# Measured on the labelled set at T.THRESHOLD (0.35): precision 1.00, recall 0.958 (23 of 24 duplicates,
# no false positive among 22 distinct pairs). The thresholds below leave a small margin.
MIN_PRECISION = 0.95
MIN_RECALL = 0.90


def test_domain_terms_stay_whole() -> None:
    text = "我公司二期项目用地指标迟迟没有落实，土地证也办不下来，同时政府拖欠账款300万元。"
    assert T.terms(text) == ["二期", "项目", "用地指标", "落实", "土地证", "政府", "拖欠账款"]


def test_finance_terms_and_stop_words() -> None:
    assert T.terms("小微企业融资难、融资贵，银行续贷要求过桥资金。") == [
        "小微",
        "融资难",
        "融资贵",
        "银行",
        "续贷",
        "过桥资金",
    ]


def test_utilities_and_approvals() -> None:
    terms = T.terms("新厂房需要电力增容，水电气配套没跟上，环评和能评审批慢。")
    assert {"电力增容", "水电气", "环评", "能评", "审批慢"} <= set(terms)
    assert "需要" not in terms and "和" not in terms


def test_registration_and_labour() -> None:
    assert T.terms("不动产登记窗口排队时间长，用工难问题也很突出。") == [
        "不动产登记",
        "窗口",
        "排队",
        "时间",
        "用工难",
    ]


def test_segment_drops_punctuation_numbers_and_single_characters() -> None:
    assert T.segment("2025年 , 。！ 电 用地指标 用地指标") == ["用地指标", "用地指标"]
    assert T.terms("5G基站未覆盖") == ["5G基站", "覆盖"]


def test_top_terms_count_each_text_once_and_sort_ties_by_term() -> None:
    texts = ["用地指标不足，用地指标紧张", "用地指标紧张，融资难", "融资难"]
    assert T.top_terms(texts, n=3) == [("用地指标", 2), ("紧张", 2), ("融资难", 2)]


def test_trend_against_previous_period() -> None:
    trends = T.with_trend([("融资难", 6), ("用工难", 2), ("环评", 3)], {"融资难": 4, "环评": 3})
    assert [(t.term, t.count, t.previous, t.arrow) for t in trends] == [
        ("融资难", 6, 4, "↑"),
        ("用工难", 2, 0, "↑"),
        ("环评", 3, 3, "→"),
    ]
    assert trends[0].change == 0.5
    assert trends[1].change is None


def test_similarity_is_symmetric_and_bounded() -> None:
    a = T.Doc.of("园区频繁停电", "高新区东区近一个月频繁停电", enterprise_id=1, category_id=3)
    b = T.Doc.of("东区供电不稳定经常停电", "高新区东区供电线路故障频发", enterprise_id=2, category_id=3)
    assert T.similarity(a, b) == T.similarity(b, a)
    assert 0 < T.similarity(a, b) <= 1
    assert T.similarity(a, a) == 1.0


def _scores() -> list[tuple[float, bool]]:
    docs = []
    for p in PAIRS:
        a = T.Doc.of(*p.a, enterprise_id=1, category_id=1)
        b = T.Doc.of(
            *p.b, enterprise_id=1 if p.same_enterprise else 2, category_id=1 if p.same_category else 2
        )
        docs.append((a, b, p.duplicate))
    weights = T.corpus_weights(d for a, b, _ in docs for d in (a, b))
    return [(T.similarity(a, b, weights), dup) for a, b, dup in docs]


def test_labelled_set_is_large_and_balanced() -> None:
    assert len(PAIRS) >= 40
    duplicates = sum(p.duplicate for p in PAIRS)
    assert duplicates == 24 and len(PAIRS) - duplicates == 22


def test_duplicate_detection_precision_and_recall() -> None:
    scores = _scores()
    tp = sum(1 for s, dup in scores if s >= T.THRESHOLD and dup)
    fp = sum(1 for s, dup in scores if s >= T.THRESHOLD and not dup)
    fn = sum(1 for s, dup in scores if s < T.THRESHOLD and dup)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert (tp, fp, fn) == (23, 0, 1)
    assert precision >= MIN_PRECISION
    assert recall >= MIN_RECALL
