"""VQA over figures: accuracy on objective questions (multiple choice, true/false, counting)
with answer extraction that tolerates the ways models phrase an answer, and the caption
metrics for open questions. Answers come from a JSONL file or from a DICModel.

Question schema (JSONL): {id, image, question, type: mc|tf|count|open, options?: [..], answer}.
Prediction schema (JSONL): {id, answer | text | prediction}.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError, field_validator, model_validator

from ictrag.evaluation.captions import EvalError, detect_tokenize, read_jsonl, text_metrics

QuestionType = Literal["mc", "tf", "count", "open"]
OBJECTIVE = ("mc", "tf", "count")
LETTERS = "ABCDEFGHIJ"


class Question(BaseModel):
    id: str
    image: str | None = None
    question: str
    type: QuestionType
    options: list[str] = []
    answer: str

    @field_validator("id", "answer", mode="before")
    @classmethod
    def _str(cls, value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    @model_validator(mode="after")
    def _options(self) -> Question:
        if self.type == "mc" and not 2 <= len(self.options) <= len(LETTERS):
            raise ValueError(f"a multiple-choice question needs 2..{len(LETTERS)} options")
        return self


def load_questions(path: str | Path) -> list[Question]:
    questions = []
    for number, row in enumerate(read_jsonl(path), 1):
        try:
            question = Question.model_validate(row)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "record"
            raise EvalError(f"{path}: question {number}: {where}: {first['msg']}") from None
        if question.image and not Path(question.image).is_absolute():
            question.image = str((Path(path).parent / question.image).resolve())
        questions.append(question)
    if not questions:
        raise EvalError(f"{path}: no questions")
    return questions


def load_answers(path: str | Path) -> dict[str, str]:
    answers = {}
    for number, row in enumerate(read_jsonl(path), 1):
        value = next((row[k] for k in ("answer", "text", "prediction") if k in row), None)
        if "id" not in row or value is None:
            raise EvalError(f"{path}: record {number}: needs id and answer (or text)")
        answers[str(row["id"])] = str(value)
    return answers


# -- answer extraction ---------------------------------------------------------------------
def _norm(text: str) -> str:
    words = re.sub(r"[^\w\s./-]", " ", text.casefold()).split()
    return " ".join(word.strip("./-") or word for word in words)


def _letter_pattern(n: int) -> str:
    return f"[{LETTERS[0]}-{LETTERS[n - 1]}]"


def extract_choice(text: str, options: list[str]) -> int | None:
    """The chosen option's index, or None when the answer names none or several.

    Tried in order: "answer is (B)" / "answer: B" / "选B"; a leading letter ("B", "(B)",
    "B)", "b.", "B:"); the text of exactly one option (longest match wins, so "VLAN 100" is
    not read as "VLAN 10"); a lone parenthesised or capital letter anywhere.
    """
    letter = _letter_pattern(len(options))
    lead_in = r"(?i:answer|option|choice)\s*(?i:is)?\s*[:：]?\s*|(?:答案|选项?)\s*[:：为是]?\s*"
    # a capital letter, or a lower-case one closed by punctuation ("answer is a router" is no "A")
    explicit = re.search(
        rf"(?:{lead_in})\(?(?:({letter})\b|({letter.lower()})(?:\s*[\).:：,]|\s*$))", text
    )
    if explicit:
        return LETTERS.index((explicit[1] or explicit[2]).upper())
    leading = re.match(rf"\s*[\(\[]?({letter})(?:\s*[\)\].:：,]|\s*$)", text, re.IGNORECASE)
    if leading:
        return LETTERS.index(leading[1].upper())
    normalised = f" {_norm(text)} "
    matches = [
        (len(option), i)
        for i, option in enumerate(options)
        if _norm(option) and f" {_norm(option)} " in normalised
    ]
    if matches:
        longest = max(matches)[0]
        found = {i for length, i in matches if length == longest}
        kept = [
            i
            for length, i in matches
            if length == longest or not any(_norm(options[i]) in _norm(options[j]) for j in found)
        ]
        if len(set(kept)) == 1:
            return kept[0]
        return None
    lone = set(re.findall(rf"\(({letter})\)|\b({letter})\b(?=[\).:])", text))
    letters = {a or b for a, b in lone}
    if len(letters) == 1:
        return LETTERS.index(letters.pop().upper())
    return None


_FALSE = r"\b(?:false|no|not (?:true|correct)|incorrect|wrong|untrue)\b|不对|不正确|错误|错|否|不是"
_TRUE = r"\b(?:true|yes|correct|right)\b|正确|(?<!不)对(?!于)|^\s*是"


def extract_bool(text: str) -> bool | None:
    """True / False from "True", "yes", "correct", "No, it is not true", "错误", ...: the
    earliest polarity word wins; negated forms are matched before their positive part."""
    lowered = text.casefold()
    false_spans = [m.span() for m in re.finditer(_FALSE, lowered)]
    candidates = [(start, False) for start, _ in false_spans]
    for match in re.finditer(_TRUE, lowered):
        if not any(s <= match.start() < e for s, e in false_spans):
            candidates.append((match.start(), True))
    return min(candidates)[1] if candidates else None


_UNITS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}  # fmt: skip
_WORDS = {word: value for value, word in enumerate(_UNITS)} | _TENS | {"a dozen": 12, "none": 0}
_ZH = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
       "九": 9, "十": 10}  # fmt: skip
_NUMBER = re.compile(
    r"\d+(?:\.\d+)?|\b(?:" + "|".join(sorted(_TENS, key=len, reverse=True)) + r")(?:[- ](?:"
    + "|".join(_UNITS[1:10]) + r"))?\b|\b(?:a dozen|" + "|".join(sorted(_UNITS, key=len, reverse=True))
    + r"|none)\b|[零一二两三四五六七八九十]+(?=\s*(?:个|条|台|种|步|次|层|$))",
    re.IGNORECASE,
)  # fmt: skip
_REFERENCE = re.compile(r"\b(?:figure|fig\.?|table|step|chapter|section)\s*\d+(?:[-.]\d+)*", re.I)


def _number_value(token: str) -> float:
    token = token.casefold()
    if token[0].isdigit():
        return float(token)
    if token[0] in _ZH:
        if "十" in token:
            tens, _, units = token.partition("十")
            return float(
                (_ZH.get(tens, 1) if tens else 1) * 10 + (_ZH.get(units, 0) if units else 0)
            )
        return float(_ZH[token[0]])
    parts = re.split(r"[- ]", token)
    if token in _WORDS:
        return float(_WORDS[token])
    return float(sum(_WORDS.get(part, 0) for part in parts))


def extract_number(text: str) -> float | None:
    """A count from "3", "three", "There are 9 messages", "twenty-one", "三个": the number
    after "answer is" when there is one, else the first number outside figure/table/step
    references ("Figure 4-1 shows 9 messages" gives 9)."""
    cleaned = _REFERENCE.sub(" ", text)
    explicit = re.search(r"(?:answer|答案)\s*(?:is|:|：|为|是)?\s*[:：]?\s*(.+)", cleaned, re.I)
    for part in ([explicit[1]] if explicit else []) + [cleaned]:
        match = _NUMBER.search(part)
        if match:
            return _number_value(match[0])
    return None


def is_correct(question: Question, prediction: str) -> bool:
    """Objective questions only: the extracted answer equals the gold one."""
    if question.type == "mc":
        gold = extract_choice(question.answer, question.options)
        if gold is None:
            raise EvalError(f"question {question.id}: answer {question.answer!r} is no option")
        return extract_choice(prediction, question.options) == gold
    if question.type == "tf":
        gold_bool = extract_bool(question.answer)
        if gold_bool is None:
            raise EvalError(f"question {question.id}: answer {question.answer!r} is not true/false")
        return extract_bool(prediction) is gold_bool
    if question.type == "count":
        gold_number = extract_number(question.answer)
        if gold_number is None:
            raise EvalError(f"question {question.id}: answer {question.answer!r} is no number")
        return extract_number(prediction) == gold_number
    raise EvalError(f"question {question.id}: open questions have no accuracy")


# -- evaluation --------------------------------------------------------------------------------
@dataclass
class VQAResult:
    name: str
    accuracy: dict[str, float]
    """Per objective type and `objective` (all three pooled), in percent."""
    counts: dict[str, int]
    open_metrics: dict[str, float] = field(default_factory=dict)
    missing: int = 0
    correct: dict[str, bool] = field(default_factory=dict)


def evaluate_vqa(
    systems: dict[str, dict[str, str]], questions: list[Question], tokenize: str | None = None
) -> list[VQAResult]:
    results = []
    open_questions = [q for q in questions if q.type == "open"]
    tokenize = tokenize or detect_tokenize([q.answer for q in open_questions])
    for name, answers in systems.items():
        correct = {
            q.id: is_correct(q, answers.get(q.id, "")) for q in questions if q.type in OBJECTIVE
        }
        accuracy: dict[str, float] = {}
        counts: dict[str, int] = {}
        for kind in (*OBJECTIVE, "objective"):
            ids = [
                q.id
                for q in questions
                if q.type == kind or (kind == "objective" and q.type in OBJECTIVE)
            ]
            counts[kind] = len(ids)
            if ids:
                accuracy[kind] = 100.0 * sum(correct[i] for i in ids) / len(ids)
        counts["open"] = len(open_questions)
        open_metrics = text_metrics(
            [answers.get(q.id, "") for q in open_questions],
            [[q.answer] for q in open_questions],
            tokenize,
        )
        results.append(
            VQAResult(
                name=name,
                accuracy=accuracy,
                counts=counts,
                open_metrics=open_metrics,
                missing=sum(1 for q in questions if q.id not in answers),
                correct=correct,
            )
        )
    return results


# -- asking a DICModel ---------------------------------------------------------------------------
def question_prompt(question: Question) -> str:
    lines = [question.question.strip()]
    if question.type == "mc":
        lines += [f"{LETTERS[i]}. {option}" for i, option in enumerate(question.options)]
        lines.append("Answer with the letter of the correct option.")
    elif question.type == "tf":
        lines.append("Answer True or False.")
    elif question.type == "count":
        lines.append("Answer with a number.")
    return "\n".join(lines)


def answer_with_dicmodel(
    questions: list[Question],
    model: str,
    adapter: str | None = None,
    batch_size: int = 4,
    max_new_tokens: int = 64,
) -> dict[str, str]:
    """Ask a DICModel (directory or hub id, optional LoRA adapter) every question, through
    DICModelCaptioner's loaded model and batched generation. Unanswerable items get ""."""
    from PIL import Image

    from ictrag.config import CaptionSettings
    from ictrag.figures.models.prompt import hf_messages
    from ictrag.figures.models.vlm import DICModelCaptioner

    captioner = DICModelCaptioner(
        CaptionSettings(backend="dicmodel", model=model, adapter=adapter),
        batch_size=batch_size,
        max_new_tokens=max_new_tokens,
    )
    _, processor = captioner.load()
    answers: dict[str, str] = {}
    prepared = []
    for question in questions:
        content: list[dict[str, Any]] = []
        image = None
        if question.image:
            try:
                with Image.open(question.image) as opened:
                    image = opened.convert("RGB")
                content.append({"type": "image"})
            except OSError:
                answers[question.id] = ""
                continue
        content.append({"type": "text", "text": question_prompt(question)})
        messages = hf_messages([{"role": "user", "content": content}])
        prompt = processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        prepared.append((question.id, prompt, image))
    for start in range(0, len(prepared), batch_size):
        batch = prepared[start : start + batch_size]
        try:
            outputs = captioner._generate_batch([(prompt, image) for _, prompt, image in batch])
        except Exception:  # one bad item must not sink its batch: retry one by one
            outputs = []
            for _, prompt, image in batch:
                try:
                    outputs.extend(captioner._generate_batch([(prompt, image)]))
                except Exception:
                    outputs.append(("", 0))
        for (question_id, _, _), (text, _) in zip(batch, outputs, strict=True):
            answers[question_id] = text.strip()
    return answers


def vqa_report(results: list[VQAResult], questions: list[Question]):
    """The side-by-side Report: objective accuracy per type, open-question caption metrics."""
    from ictrag.evaluation.report import Report, Table, bar_plot

    kinds = [k for k in (*OBJECTIVE, "objective") if results and k in results[0].accuracy]
    labels = {"mc": "multiple choice", "tf": "true/false", "count": "counting",
              "objective": "objective (all)"}  # fmt: skip
    tables = [
        Table(
            "VQA: accuracy (%)",
            ["system", *(f"{labels[k]} (n={results[0].counts[k]})" for k in kinds), "missing"],
            [[r.name, *(r.accuracy.get(k) for k in kinds), r.missing] for r in results],
        )
    ]
    if results and results[0].open_metrics:
        metric_names = list(results[0].open_metrics)
        tables.append(
            Table(
                f"VQA: open questions (n={results[0].counts['open']})",
                ["system", *metric_names],
                [[r.name, *(r.open_metrics[m] for m in metric_names)] for r in results],
                note="BLEU/chrF/ROUGE-L 0-100, CIDEr-D 0-10, against the gold answers.",
            )
        )
    plots = []
    if kinds:
        plots.append(bar_plot(
            "VQA accuracy", [labels[k] for k in kinds],
            {r.name: [r.accuracy.get(k, 0.0) for k in kinds] for r in results},
            "accuracy (%)", "vqa_accuracy",
        ))  # fmt: skip
    wrong = Table(
        "VQA: per question (objective)",
        ["id", "type", "answer", *(r.name for r in results)],
        [
            [q.id, q.type, q.answer, *("ok" if r.correct.get(q.id) else "wrong" for r in results)]
            for q in questions
            if q.type in OBJECTIVE
        ][:200],
    )
    tables.append(wrong)
    return Report(title="VQA evaluation", notes=[f"questions: {len(questions)}"],
                  tables=tables, plots=plots)  # fmt: skip
