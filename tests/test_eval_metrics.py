"""Caption and VQA metrics: values checked against sacrebleu's own API, rouge-score and
hand-worked examples; CJK pitfalls; answer extraction; the `ictrag eval captions | vqa` CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from sacrebleu.metrics import BLEU, CHRF
from typer.testing import CliRunner

from ictrag.cli.evaluate import eval_app
from ictrag.evaluation.captions import (
    CaptionRecord,
    EvalError,
    detect_tokenize,
    evaluate_captions,
    load_records,
    rouge_l,
)
from ictrag.evaluation.cider import cider_d, tokens
from ictrag.evaluation.vqa import (
    Question,
    evaluate_vqa,
    extract_bool,
    extract_choice,
    extract_number,
    load_questions,
)
from tests.fixtures_models import *  # noqa: F403 (tiny_qwen_dir)

ROOT = Path(__file__).resolve().parent.parent
REFS = [
    "The AR-100 relays EAP credentials to the RADIUS server.",
    "The eNodeB forwards the attach request to the MME over S1-MME.",
    "Two access switches connect to the router on GE0/0/1 and GE0/0/2.",
    "The firewall opens TCP 443 to the web server in the DMZ.",
]
GOOD = [
    "The AR-100 relays the EAP credentials to a RADIUS server.",
    "The eNodeB forwards an attach request to the MME over S1-MME.",
    "Two access switches connect to the router on GE0/0/1 and GE0/0/2.",
    "A firewall opens TCP 443 towards the web server in the DMZ.",
]
POOR = ["A router.", "Messages between nodes.", "Switches and a router.", "A firewall."]


def _records(texts: list[str], **extra) -> dict[str, CaptionRecord]:
    return {str(i): CaptionRecord(id=str(i), text=t, **extra) for i, t in enumerate(texts)}


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    return path


# -- BLEU / chrF against sacrebleu ------------------------------------------------------------
def test_bleu_and_chrf_equal_sacrebleu_on_the_same_data():
    result = evaluate_captions({"good": _records(GOOD), "poor": _records(POOR)}, _records(REFS))
    assert result.tokenize == "13a"
    assert "tok:13a" in result.signature and "nrefs:1" in result.signature
    for system, hyps in zip(result.systems, (GOOD, POOR), strict=True):
        assert system.overall["bleu"] == pytest.approx(BLEU().corpus_score(hyps, [REFS]).score)
        assert system.overall["chrf"] == pytest.approx(CHRF().corpus_score(hyps, [REFS]).score)
    good, poor = result.systems
    assert good.overall["bleu"] > 40 > poor.overall["bleu"]
    assert good.overall["cider_d"] > poor.overall["cider_d"]


def test_unsegmented_chinese_gets_zh_tokenizer_and_nonzero_bleu():
    refs = ["交换机通过上行链路连接到核心路由器", "防火墙只开放网页服务器的端口"]
    hyps = ["交换机通过链路连接到核心路由器", "防火墙开放网页服务器端口"]
    assert BLEU().corpus_score(hyps, [refs]).score == 0.0  # the pitfall: 13a on Chinese
    result = evaluate_captions({"zh": _records(hyps)}, _records(refs))
    assert result.tokenize == "zh" and "tok:zh" in result.signature
    expected = BLEU(tokenize="zh").corpus_score(hyps, [refs]).score
    assert result.systems[0].overall["bleu"] == pytest.approx(expected)
    assert expected > 30


def test_tokenizer_detection_by_script():
    assert detect_tokenize(["OSPF area 0 on every uplink"]) == "13a"
    assert detect_tokenize(["在每个上行链路上配置OSPF区域0"]) == "zh"
    assert detect_tokenize(["ルーターはパケットを転送します"]) == "char"


def test_explicit_tokenizer_is_used_and_unknown_one_is_one_error():
    result = evaluate_captions({"s": _records(GOOD)}, _records(REFS), tokenize="intl")
    assert "tok:intl" in result.signature
    with pytest.raises(EvalError, match="unknown tokenizer"):
        evaluate_captions({"s": _records(GOOD)}, _records(REFS), tokenize="nope")


# -- ROUGE-L ------------------------------------------------------------------------------------
def test_rouge_l_hand_worked():
    # LCS "the cat on the mat" = 5 of 6 tokens on both sides
    assert rouge_l("the cat sat on the mat", "the cat is on the mat") == pytest.approx(5 / 6)
    # LCS "a c" = 2; P = 2/4, R = 2/3, F = 2PR/(P+R) = 4/7
    assert rouge_l("a b c d", "a c e") == pytest.approx(4 / 7)
    assert rouge_l("", "a") == 0.0


def test_rouge_l_equals_rouge_score_on_ascii_text():
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rougeL"])
    for hyp, ref in zip(GOOD + POOR, REFS + REFS, strict=True):
        assert rouge_l(hyp, ref) == pytest.approx(scorer.score(ref, hyp)["rougeL"].fmeasure)


def test_chinese_rouge_counts_characters_not_dropping_them():
    from rouge_score import rouge_scorer

    # rouge-score drops non-ASCII: both sides reduce to "ospf" and score a perfect 1.0
    naive = rouge_scorer.RougeScorer(["rougeL"]).score("交换机 OSPF", "路由器 OSPF")
    assert naive["rougeL"].fmeasure == 1.0
    # here: 4 tokens a side (3 characters + ospf), LCS 1 -> F = 1/4
    assert rouge_l("路由器 OSPF", "交换机 OSPF") == pytest.approx(0.25)
    # 我爱北京天安门 vs 我爱上海: LCS 2, P = 2/7, R = 2/4 -> F = 4/11
    assert rouge_l("我爱北京天安门", "我爱上海") == pytest.approx(4 / 11)
    assert tokens("配置OSPF区域0") == ["配", "置", "ospf", "区", "域", "0"]


# -- CIDEr-D ------------------------------------------------------------------------------------
def test_cider_d_hand_worked():
    # two items; N = 2, so idf = ln 2 - ln df: "a" occurs in both reference sets (weight 0),
    # every other n-gram in one (weight ln 2).
    scores = cider_d(["a b", "a d"], [["a b c"], ["a d"]])
    # item 1: n=1 and n=2 cosines are ln2^2 / (ln2 * sqrt2 ln2) = 1/sqrt2, n=3,4 are 0;
    # bigram lengths 1 vs 2 -> penalty exp(-1/72); 10 * (2/sqrt2) / 4 * exp(-1/72)
    assert scores[0] == pytest.approx(2.5 * math.sqrt(2) * math.exp(-1 / 72))
    # item 2: identical, n=1 and n=2 cosines 1, no trigrams -> 10 * 2 / 4
    assert scores[1] == pytest.approx(5.0)
    # a perfect 4-gram-rich match scores 10
    four = ["w x y z", "p q r s"]
    assert cider_d(four, [[t] for t in four]) == pytest.approx([10.0, 10.0])
    # several references: the per-reference similarities are averaged
    assert cider_d(["a d", "a b"], [["a d", "a b"], ["a b"]])[0] < 10.0


# -- structure ----------------------------------------------------------------------------------
FLOW = "flowchart LR\n  A[Client] --> B[AR-100]\n  B --> C[RADIUS]"


def test_mermaid_structure_scores_and_parse_rate():
    refs = {
        "1": CaptionRecord(id="1", text="flow", mermaid=FLOW, type="flowchart"),
        "2": CaptionRecord(id="2", text="flow two", mermaid=FLOW, type="flowchart"),
        "3": CaptionRecord(id="3", text="a plain photo of the rack front", type="photo"),
    }
    half = "flowchart LR\n  A[Client] --> B[AR-100]\n  B --> C[Switch]"
    preds = {
        "1": CaptionRecord(id="1", text="flow", mermaid=half),
        "2": CaptionRecord(id="2", text="flow two", mermaid="flowchart LR\n  A[[[ -->"),
        "3": CaptionRecord(id="3", text="a plain photo of the rack front"),
    }
    result = evaluate_captions({"s": preds}, refs).systems[0]
    assert result.overall["mermaid_parse_rate"] == pytest.approx(0.5)
    # item 1: nodes 2/3 -> F1 2/3, edges 1/2 -> F1 1/2; item 2 unparsable -> 0
    assert result.overall["node_f1"] == pytest.approx((2 / 3 + 0) / 2)
    assert result.overall["edge_f1"] == pytest.approx((1 / 2 + 0) / 2)
    assert set(result.by_type) == {"flowchart", "photo"}
    assert "node_f1" not in result.by_type["photo"]
    assert result.by_type["photo"]["bleu"] == pytest.approx(100.0)


def test_missing_predictions_count_as_empty_and_are_reported():
    preds = _records(GOOD[:2])
    result = evaluate_captions({"s": preds}, _records(REFS)).systems[0]
    assert result.missing == 2
    assert result.overall["n"] == 4.0
    full = evaluate_captions({"s": _records(GOOD)}, _records(REFS)).systems[0]
    assert result.overall["bleu"] < full.overall["bleu"]


def test_bad_record_file_is_one_error(tmp_path: Path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "text": "ok"}\nnot json\n')
    with pytest.raises(EvalError, match=r"bad.jsonl:2: not JSON"):
        load_records(bad)


# -- captions CLI -------------------------------------------------------------------------------
def test_eval_captions_cli_compares_systems(tmp_path: Path):
    ref = _write_jsonl(
        tmp_path / "ref.jsonl",
        [{"id": i, "caption": t, "type": "flowchart" if i % 2 else "sequence"} for i, t in enumerate(REFS)],
    )  # fmt: skip
    good = _write_jsonl(tmp_path / "good.jsonl", [{"id": i, "text": t} for i, t in enumerate(GOOD)])
    poor = _write_jsonl(tmp_path / "poor.jsonl", [{"id": i, "text": t} for i, t in enumerate(POOR)])
    runner = CliRunner()
    result = runner.invoke(
        eval_app,
        ["captions", "--ref", str(ref), "--pred", str(good), "--system", f"weak={poor}", "--json"],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [s["name"] for s in data["systems"]] == ["good", "weak"]
    assert "tok:13a" in data["signature"]
    assert set(data["systems"][0]["by_type"]) == {"flowchart", "sequence"}
    table = runner.invoke(eval_app, ["captions", "--ref", str(ref), "--pred", str(good)])
    assert "BLEU signature: nrefs:1|case:mixed|eff:no|tok:13a" in table.stdout
    missing = runner.invoke(
        eval_app, ["captions", "--ref", str(tmp_path / "no.jsonl"), "--pred", str(good)]
    )  # noqa: E501
    assert missing.exit_code == 2 and "cannot read" in missing.output


# -- VQA answer extraction ----------------------------------------------------------------------
OPTIONS = ["VLAN 10", "VLAN 100", "OSPF area 0", "RADIUS server"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The answer is (B)", 1),
        ("The answer is B because it is the user VLAN", 1),
        ("B) VLAN 100", 1),
        ("b.", 1),
        ("(D)", 3),
        ("Answer: c", 2),
        ("答案是D", 3),
        ("VLAN 100", 1),  # option text; the longer option wins over "VLAN 10"
        ("It uses VLAN 10.", 0),
        ("I think it is the RADIUS server", 3),
        ("A router forwards it", None),  # "A" the article is no choice
        ("The answer is a router", None),
        ("both VLAN 10 and OSPF area 0", None),  # two options named: no choice
    ],
)
def test_multiple_choice_extraction(text: str, expected: int | None):
    assert extract_choice(text, OPTIONS) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("True", True), ("yes", True), ("Correct.", True), ("Yes, that is correct", True),
        ("False", False), ("No, it is not true", False), ("incorrect", False),
        ("The statement is false.", False), ("正确", True), ("错误", False), ("答案是错误", False),
        ("maybe", None),
    ],
)  # fmt: skip
def test_true_false_extraction(text: str, expected: bool | None):
    assert extract_bool(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3", 3), ("three", 3), ("There are 9 messages", 9), ("Figure 4-1 shows 9 messages", 9),
        ("twenty-one", 21), ("The answer is 4.", 4), ("eleven nodes", 11), ("三个", 3),
        ("十二条", 12), ("no idea", None),
    ],
)  # fmt: skip
def test_count_extraction(text: str, expected: int | None):
    assert extract_number(text) == expected


def _questions() -> list[Question]:
    return [
        Question(id="m1", question="VLAN?", type="mc", options=OPTIONS, answer="A"),
        Question(id="m2", question="Area?", type="mc", options=OPTIONS, answer="OSPF area 0"),
        Question(id="t1", question="Is GE0/0/3 the DMZ?", type="tf", answer=True),
        Question(id="c1", question="How many messages?", type="count", answer=9),
        Question(id="o1", question="What does the firewall do?", type="open",
                 answer="It opens TCP 443 to the web server."),
    ]  # fmt: skip


def test_vqa_accuracy_per_type_exact():
    answers = {
        "m1": "The answer is (A)",
        "m2": "B",
        "t1": "Yes.",
        "c1": "nine",
        "o1": "It opens TCP 443 to the web server.",
    }  # noqa: E501
    [result] = evaluate_vqa({"s": answers}, _questions())
    assert result.accuracy == {"mc": 50.0, "tf": 100.0, "count": 100.0, "objective": 75.0}
    assert result.counts["open"] == 1
    assert result.open_metrics["bleu"] == pytest.approx(100.0)
    assert result.open_metrics["rouge_l"] == pytest.approx(100.0)


def test_vqa_gold_answer_that_is_no_option_is_one_error():
    bad = Question(id="x", question="?", type="mc", options=["a", "b"], answer="Z")
    with pytest.raises(EvalError, match="is no option"):
        evaluate_vqa({"s": {}}, [bad])


def _question_file(tmp_path: Path) -> Path:
    image = ROOT / "docs" / "samples" / "topology.png"
    rows = [q.model_dump() | {"image": str(image)} for q in _questions()]
    return _write_jsonl(tmp_path / "q.jsonl", rows)


def test_eval_vqa_cli_with_prediction_files(tmp_path: Path):
    questions = _question_file(tmp_path)
    assert len(load_questions(questions)) == 5
    right = _write_jsonl(tmp_path / "right.jsonl", [
        {"id": "m1", "answer": "A"}, {"id": "m2", "answer": "(C)"}, {"id": "t1", "answer": "true"},
        {"id": "c1", "answer": "9"}, {"id": "o1", "answer": "It opens port 443."},
    ])  # fmt: skip
    wrong = _write_jsonl(tmp_path / "wrong.jsonl", [{"id": "m1", "answer": "D"}])
    result = CliRunner().invoke(
        eval_app,
        ["vqa", "--questions", str(questions), "--pred", str(right), "--pred", str(wrong),
         "--json", "--report", str(tmp_path / "rep")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = {row["name"]: row for row in json.loads(result.stdout)}
    assert data["right"]["accuracy"]["objective"] == 100.0
    assert data["wrong"]["accuracy"]["objective"] == 0.0 and data["wrong"]["missing"] == 4
    assert (tmp_path / "rep" / "report.html").stat().st_size > 1000


def test_eval_vqa_cli_asks_a_dicmodel(tmp_path: Path, tiny_qwen_dir: Path):
    questions = _question_file(tmp_path)
    result = CliRunner().invoke(
        eval_app,
        ["vqa", "--questions", str(questions), "--model", f"tiny={tiny_qwen_dir}",
         "--save-answers", str(tmp_path / "answers"), "--max-new-tokens", "6", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    assert row["name"] == "tiny" and row["missing"] == 0
    assert 0.0 <= row["accuracy"]["objective"] <= 100.0
    saved = [
        json.loads(line) for line in (tmp_path / "answers" / "tiny.jsonl").read_text().splitlines()
    ]
    assert {r["id"] for r in saved} == {"m1", "m2", "t1", "c1", "o1"}
    assert all(isinstance(r["answer"], str) for r in saved)


def test_eval_vqa_cli_missing_model_is_exit_1(tmp_path: Path):
    result = CliRunner().invoke(
        eval_app, ["vqa", "--questions", str(_question_file(tmp_path)), "--model", str(tmp_path / "none")]
    )  # fmt: skip
    assert result.exit_code == 1
    assert "cannot load DICModel" in result.output
