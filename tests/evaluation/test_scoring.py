"""The pure scoring engine and the ``qinqing evaluation score`` command."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from qinqing.evaluation import scoring, trees

DB_SB = trees.SHIPPED["doing_business"]
NZ = {
    "DB.SB.P.M": D(1),
    "DB.SB.P.W": D(1),
    "DB.SB.T.M": D("0.5"),
    "DB.SB.T.W": D("0.5"),
    "DB.SB.C.M": D("0.2"),
    "DB.SB.C.W": D("0.2"),
    "DB.SB.K": D(0),
}


def sb() -> scoring.System:
    return scoring.loads_system(DB_SB.read_text(encoding="utf-8"))


def leaf(best: str, worst: str, power: str | None = None) -> scoring.Node:
    return scoring.Node("L", "l", best=D(best), worst=D(worst), power=D(power) if power else None)


def test_new_zealand_2020_starting_a_business_is_99_975() -> None:
    scores = scoring.score_unit(sb(), NZ)
    assert scores["DB.SB"] == D("99.975")
    assert scores["DB.SB.C"] == D("99.9")
    assert abs(scores["DB.SB"] - D("99.975")) < D("0.001")


def test_men_and_women_are_averaged_before_the_topic_average() -> None:
    # DB2020 China (Shanghai-like figures): 4 procedures, 9 days for both; cost 1.1 %; no capital.
    values = {
        **NZ,
        "DB.SB.P.M": D(4),
        "DB.SB.P.W": D(5),
        "DB.SB.T.M": D(9),
        "DB.SB.T.W": D(9),
        "DB.SB.C.M": D("1.1"),
        "DB.SB.C.W": D("1.1"),
    }
    s = scoring.score_unit(sb(), values)
    p = (100 * (D(18) - 4) / 17 + 100 * (D(18) - 5) / 17) / 2
    t = 100 * (D(100) - 9) / D("99.5")
    c = 100 * (D(200) - D("1.1")) / 200
    assert s["DB.SB.P"] == pytest.approx(p, abs=D("1e-20"))
    assert s["DB.SB"].quantize(D("0.000001")) == ((p + t + c + 100) / 4).quantize(D("0.000001"))


def test_clipping_at_both_bounds() -> None:
    n = leaf("1", "18")
    assert scoring.leaf_score(n, D("0.5")) == 100
    assert scoring.leaf_score(n, D(30)) == 0
    assert scoring.leaf_score(n, D(18)) == 0
    assert scoring.leaf_score(n, D("9.5")) == 50


def test_higher_is_better() -> None:
    n = leaf("8", "0")
    assert scoring.leaf_score(n, D(6)) == 75
    assert scoring.leaf_score(n, D(9)) == 100
    assert scoring.leaf_score(n, D(-1)) == 0


def test_power_transform_of_the_total_tax_rate() -> None:
    n = leaf("26.1", "84", "0.8")
    expected = 100 * ((84 - 40) / (84 - 26.1)) ** 0.8
    assert float(scoring.leaf_score(n, D(40))) == pytest.approx(expected, abs=1e-9)
    assert scoring.leaf_score(n, D(20)) == 100  # below the threshold: full marks
    assert scoring.leaf_score(n, D(90)) == 0


def _two_leaf(missing: str, weights: tuple[int, int] = (1, 1)) -> scoring.System:
    return scoring.parse_system(
        {
            "code": "R",
            "name": "r",
            "missing": missing,
            "children": [
                {"code": "A", "name": "a", "weight": weights[0], "better": "higher", "best": 100, "worst": 0},
                {"code": "B", "name": "b", "weight": weights[1], "better": "higher", "best": 100, "worst": 0},
            ],
        }
    )


def test_weights() -> None:
    s = scoring.score_unit(_two_leaf("exclude", (1, 3)), {"A": D(100), "B": D(60)})
    assert s["R"] == D(70)


def test_missing_rule_exclude_and_zero() -> None:
    assert scoring.score_unit(_two_leaf("exclude"), {"A": D(80)})["R"] == D(80)
    assert scoring.score_unit(_two_leaf("exclude"), {})["R"] is None
    assert scoring.score_unit(_two_leaf("zero"), {"A": D(80)})["R"] == D(40)
    assert scoring.score_unit(_two_leaf("zero"), {})["B"] == D(0)


def test_ranking_ties_share_a_rank() -> None:
    ranks = scoring.rank({"a": D(90), "b": D(95), "c": D(90), "d": D(80), "e": None})
    assert ranks == {"b": 1, "a": 2, "c": 2, "d": 4, "e": None}


def test_exchange_format_round_trip() -> None:
    data = json.loads(DB_SB.read_text(encoding="utf-8"))
    system = scoring.parse_system(data)
    again = scoring.parse_system(scoring.system_dict(system))
    assert again.root == system.root


def test_system_errors_are_all_listed() -> None:
    with pytest.raises(scoring.InvalidSystem) as exc:
        scoring.parse_system(
            {
                "code": "X",
                "name": "x",
                "children": [
                    {"code": "A", "name": "a", "best": 1, "worst": 1},
                    {"code": "B", "name": "b"},
                    {"code": "A", "name": "dup", "best": 0, "worst": 1, "transform": {"power": 0}},
                ],
            }
        )
    assert exc.value.errors == [
        "A：最优值与最差值相同（best = worst）",
        "B：叶子指标缺少最优值或最差值（best/worst）",
        "A：指标代码重复",
        "A：power 应大于 0",
    ]


def test_command_prints_every_unit_and_node(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    values = tmp_path / "v.csv"
    rows = "".join(f"NZ,{k},{v}\n" for k, v in NZ.items())
    values.write_text("unit,indicator,value\n" + rows + "XX,DB.SB.K,100\n", encoding="utf-8")
    call_command("evaluation", "score", "--system", str(DB_SB), "--values", str(values))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "unit,indicator,score"
    assert lines[1] == "NZ,DB.SB,99.9750000000"
    assert len(lines) == 1 + 2 * 11
    assert "XX,DB.SB,75.0000000000" in lines  # only capital entered (75), the rest missing and excluded
    assert "XX,DB.SB.P," in lines  # a missing node: empty score


def test_command_reports_errors_per_line_and_prints_no_score(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    values = tmp_path / "v.csv"
    values.write_text("unit,indicator,value\nNZ,DB.SB.K,0\nNZ,NOPE,1\nNZ,DB.SB.P.M,abc\n", encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        call_command("evaluation", "score", "--system", str(DB_SB), "--values", str(values))
    assert f"{values}:3: 未知指标 NOPE" in str(exc.value)
    assert f"{values}:4: 数值“abc”不是数字" in str(exc.value)
    assert capsys.readouterr().out == ""


def test_command_refuses_a_leaf_without_bounds(tmp_path: Path) -> None:
    system = tmp_path / "s.json"
    system.write_text(
        json.dumps(
            {
                "code": "S",
                "name": "s",
                "children": [{"code": "A", "name": "a", "best": 2, "worst": 2}, {"code": "B", "name": "b"}],
            }
        ),
        encoding="utf-8",
    )
    values = tmp_path / "v.csv"
    values.write_text("unit,indicator,value\nu,A,1\n", encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        call_command("evaluation", "score", "--system", str(system), "--values", str(values))
    assert "A：最优值与最差值相同（best = worst）" in str(exc.value)
    assert "B：叶子指标缺少最优值或最差值（best/worst）" in str(exc.value)


def test_command_as_a_process_exits_non_zero(tmp_path: Path) -> None:
    import subprocess
    import sys

    values = tmp_path / "v.csv"
    values.write_text("unit,indicator,value\nNZ,NOPE,1\n", encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "qinqing.cli",
            "evaluation",
            "score",
            "--system",
            str(DB_SB),
            "--values",
            str(values),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert "未知指标 NOPE" in done.stderr


def test_national_system_has_the_18_first_level_indicators() -> None:
    system = scoring.loads_system(trees.SHIPPED["national"].read_text(encoding="utf-8"), require_bounds=False)
    names = [n.name for n in system.root.children]
    assert len(names) == 18
    assert names[0] == "开办企业" and names[-1] == "包容普惠创新"
    assert system.by_code()["TX.R"].power == D("0.8")
    assert system.by_code()["GS.D1"].metric == "demands.ontime_rate"
