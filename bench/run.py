"""``python -m bench``: every measurement, ours and the tutorial's interleaved, then the report."""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant import Assistant, Settings
from assistant.embeddings import CachedEmbedder, Embedder, MiniLMEmbedder
from assistant.evaluation import _Spans, data_use, report, score_answer
from assistant.nlp import normalize_term
from assistant.reader import card
from assistant.segment import split_sentences
from assistant.store import ChromaIndex, make_client
from assistant.types import Document

from . import load, quality
from .baseline import TOP_K, TutorialRAG
from .data import ROOT, DataSet, scale_pool, scaled_corpus, seed_set, shared_set, shared_set_names
from .measure import (
    disk_mb,
    fresh,
    machine_facts,
    percentiles,
    python,
    read_meta,
    run_timed,
    slope,
    write_meta,
)
from .report import write_report

COLLECTION = "bench"
# Cold starts are the median of this many fresh processes: the first one after a store is
# built also pays for reading it into the page cache (3.7 s once at 100k, then 1.4-1.6 s).
COLD_RUNS = 3
WARMUP = Document("bench-warmup", "Warm-up", "The benchmark warms up the models with this sentence.")


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny run on corpus/ only (smoke test)")
    parser.add_argument(
        "--sizes", help="corpus sizes in indexed sentences (default 1000,10000,100000; --quick: 100,300)"
    )
    parser.add_argument("--squad-sample", type=int, default=1000, help="squad2_dev questions (seeded)")
    parser.add_argument(
        "--baseline-max-size",
        type=int,
        default=100_000,
        help="largest size the tutorial store is built for: it embeds every changed 1,000-char chunk, "
        "about 20 minutes at 100k on 2 cores (10000 skips that)",
    )
    parser.add_argument("--latency-questions", type=int, default=200, help="questions timed per size")
    parser.add_argument(
        "--large-file-mb",
        type=float,
        default=10.0,
        help="one text file of this size through `assistant ingest` (0 skips)",
    )
    parser.add_argument("--no-ui-load", action="store_true", help="skip the 20-session web UI load run")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--cache", type=Path, default=ROOT / "bench" / "cache")
    return parser.parse_args(argv)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def settings_for(directory: Path) -> Settings:
    # env={} so the caller's ASSISTANT_* variables cannot change what is measured.
    return Settings.from_env(env={}, data_dir=directory, collection=COLLECTION)


def our_bot(directory: Path, embedder: Embedder) -> Assistant:
    settings = settings_for(directory)
    return Assistant(settings, ChromaIndex(make_client(settings), COLLECTION, embedder.name), embedder)


def timed(fn: Any, *args: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    value = fn(*args)
    return value, (time.perf_counter() - started) * 1000


# Ingestion ---------------------------------------------------------------------------------


class BusyEmbedder:
    """The bare model, counting the seconds it spends embedding inside a pipeline."""

    def __init__(self, inner: MiniLMEmbedder) -> None:
        self.inner, self.name, self.dimension, self.seconds = inner, inner.name, inner.dimension, 0.0

    def embed(self, texts: Sequence[str]) -> Any:
        started = time.perf_counter()
        try:
            return self.inner.embed(texts)
        finally:
            self.seconds += time.perf_counter() - started


def measure_ingest(parts: Sequence[tuple[str, list[Document]]], model: MiniLMEmbedder, work: Path) -> dict:
    """Fresh stores, cold embedding cache, warm models; ours, tutorial and raw model interleaved,
    in the opposite order for every other part so a drift in machine load hits all alike."""
    totals = {k: 0.0 for k in ("ours_s", "theirs_s", "raw_sent_s", "raw_chunk_s", "ours_embed_busy_s")}
    counts = {k: 0 for k in ("docs", "sentences", "chunks_theirs", "chunks_ours")}
    for number, (name, documents) in enumerate(parts):
        log(f"ingest: {name} ({len(documents)} documents)")
        ours_dir, theirs_dir = fresh(work / f"ingest-ours-{number}"), fresh(work / f"ingest-theirs-{number}")
        busy = BusyEmbedder(model)
        bot = our_bot(ours_dir, CachedEmbedder(busy, ours_dir / "embedding-cache.sqlite"))
        bot.ingest_documents([WARMUP])  # loads the models, opens the store
        rag = TutorialRAG(theirs_dir, model)
        rag.ingest([WARMUP])
        busy.seconds = 0.0
        sentences = [d.text[s:e] for d in documents for s, e in split_sentences(d.text)]
        chunk_texts = [c.page_content for c in rag.splitter.create_documents([d.text for d in documents])]
        steps: list[tuple[str, Any, Any]] = [
            ("ours_s", bot.ingest_documents, documents),
            ("raw_sent_s", model.embed, sentences),
            ("theirs_s", rag.ingest, documents),
            ("raw_chunk_s", model.embed, chunk_texts),
        ]
        outcome = {}
        for key, step, argument in steps if number % 2 == 0 else reversed(steps):
            outcome[key], ms = timed(step, argument)
            totals[key] += ms / 1000
        counts["sentences"] += outcome["ours_s"].n_sentences
        counts["chunks_ours"] += outcome["ours_s"].n_chunks
        counts["chunks_theirs"] += outcome["theirs_s"]
        totals["ours_embed_busy_s"] += busy.seconds
        counts["docs"] += len(documents)
        bot.close()
    ours_sps = counts["sentences"] / totals["ours_s"]
    raw_sps = counts["sentences"] / totals["raw_sent_s"]
    theirs_cps = counts["chunks_theirs"] / totals["theirs_s"]
    raw_cps = counts["chunks_theirs"] / totals["raw_chunk_s"]
    return {
        "corpus": " + ".join(name for name, _ in parts),
        **counts,
        **{k: round(v, 2) for k, v in totals.items()},
        "ours_sentences_per_s": round(ours_sps, 1),
        "ours_docs_per_s": round(counts["docs"] / totals["ours_s"], 1),
        "raw_sentences_per_s": round(raw_sps, 1),
        "ours_vs_raw": round(ours_sps / raw_sps, 3),
        "ours_embed_busy_share": round(totals["ours_embed_busy_s"] / totals["ours_s"], 3),
        "theirs_chunks_per_s": round(theirs_cps, 1),
        "theirs_docs_per_s": round(counts["docs"] / totals["theirs_s"], 1),
        "raw_chunks_per_s": round(raw_cps, 1),
        "theirs_vs_raw": round(theirs_cps / raw_cps, 3),
        "ours_vs_theirs_wall": round(totals["theirs_s"] / totals["ours_s"], 3),
    }


def ingest_stages(documents: list[Document], model: MiniLMEmbedder, work: Path) -> dict:
    """Where ingest time goes, stage by stage and single-threaded (the pipeline overlaps them)."""
    directory = fresh(work / "stages")
    bot = our_bot(directory, CachedEmbedder(model, None))
    bot.ingest_documents([WARMUP])
    ingestor = bot._ingestor  # the stages are internal; the benchmark times them one by one
    analysed, analyse_ms = timed(ingestor._analyse, documents)
    texts = [s.text for _, sentences, _ in analysed for s in sentences]
    vectors, embed_ms = timed(model.embed, texts)
    from assistant.ingest import content_hash
    from assistant.types import DocumentRecord

    records, row = [], 0
    for document, sentences, chunks in analysed:
        records.append(
            DocumentRecord(
                document, content_hash(document), sentences, chunks, vectors[row : row + len(sentences)]
            )
        )
        row += len(sentences)

    def store() -> None:
        bot.index.put_sentences(
            [s for r in records for s in r.sentences],
            np.concatenate([r.sentence_vectors for r in records]),
        )
        bot.index.complete(records)

    _, store_ms = timed(store)
    total = analyse_ms + embed_ms + store_ms
    return {
        "documents": len(documents),
        "sentences": len(texts),
        "analyse_ms": round(analyse_ms),
        "embed_ms": round(embed_ms),
        "store_ms": round(store_ms),
        "embed_share": round(embed_ms / total, 3),
    }


# Quality -----------------------------------------------------------------------------------


def build_ours(directory: Path, documents: list[Document], embedder: Embedder) -> dict:
    meta = read_meta(directory)
    if meta is None:
        fresh(directory)
        bot = our_bot(directory, embedder)
        result, ms = timed(bot.ingest_documents, documents)
        meta = {
            "documents": len(documents),
            "sentences": result.n_sentences,
            "chunks": result.n_chunks,
            "build_s": round(ms / 1000, 2),
        }
        write_meta(directory, meta)
    return meta


def build_theirs(directory: Path, documents: list[Document], embedder: Embedder) -> dict:
    meta = read_meta(directory)
    if meta is None:
        fresh(directory)
        chunks, ms = timed(TutorialRAG(directory, embedder).ingest, documents)
        meta = {"documents": len(documents), "chunks": chunks, "build_s": round(ms / 1000, 2)}
        write_meta(directory, meta)
    return meta


def evaluate_set(data: DataSet, model: MiniLMEmbedder, builder: Embedder, cache: Path) -> dict:
    log(f"quality: {data.name} ({len(data.documents)} documents, {len(data.questions)} questions)")
    ours_dir, theirs_dir = cache / "quality" / data.name / "ours", cache / "quality" / data.name / "tutorial"
    ours_meta = build_ours(ours_dir, data.documents, builder)
    theirs_meta = build_theirs(theirs_dir, data.documents, builder)
    # Queries use the bare model on both sides: every question is embedded, nothing cached.
    bot = our_bot(ours_dir, model)
    rag = TutorialRAG(theirs_dir, model)
    texts = {d.doc_id: d.text for d in data.documents}
    spans = _Spans(bot.document_text)
    ours_loc, theirs_loc = quality.EvidenceLocator(texts.get), quality.EvidenceLocator(texts.get)
    bot.ask(data.questions[0].question)  # loads the lexical index and the reader: warm from here
    rag.search(data.questions[0].question)
    scored, per_question = [], []
    ask_ms, retrieve_ms, theirs_ms = [], [], []
    for number, question in enumerate(data.questions):
        # Alternate who goes first, so a burst of load from elsewhere hits both alike.
        order = ("ours", "theirs") if number % 2 == 0 else ("theirs", "ours")
        for side in order:
            if side == "ours":
                answer = bot.ask(question.question, question.history)
                ask_ms.append(answer.latency_ms)
                _, ms = timed(bot.retrieve, question.question, 10)
                retrieve_ms.append(ms)
            else:
                _, ms = timed(rag.search, question.question, TOP_K)
                theirs_ms.append(ms)
        scored.append(score_answer(question, answer, spans))
        if question.answerable:
            theirs = [
                quality.Unit(p.doc_id, p.start, p.end, p.text) for p in rag.search(question.question, 10)
            ]
            ours = [
                quality.Unit(s.sentence.doc_id, s.sentence.start, s.sentence.end, s.sentence.text)
                for s in answer.retrieved
            ]
            per_question.append(
                quality.score(question, ours, theirs, bot.settings.top_k, TOP_K, ours_loc, theirs_loc)
            )
    bot.close()
    reader_card = card()
    return {
        "name": data.name,
        "note": data.note,
        "documents": len(data.documents),
        "questions": len(data.questions),
        "ours_store": ours_meta,
        "theirs_store": theirs_meta,
        "retrieval": quality.summarise(per_question),
        "answers": report(scored)
        | data_use(data.questions, reader_card["trained_on_articles"], reader_card["tuned_on_articles"]),
        "latency_ms": {
            "ours_answer": percentiles(ask_ms),
            "ours_retrieval": percentiles(retrieve_ms),
            # The reader's own cost: the whole answer less retrieval, question by question.
            "ours_reader": percentiles([a - r for a, r in zip(ask_ms, retrieve_ms, strict=True)]),
            "theirs_retrieval": percentiles(theirs_ms),
        },
    }


# Scale -------------------------------------------------------------------------------------


def scale_point(
    size: int,
    pool: list[Document],
    questions: list[str],
    model: MiniLMEmbedder,
    builder: Embedder,
    cache: Path,
    baseline_max: int,
    cold_questions: int,
    cold: tuple[str, ...],
) -> dict:
    documents = scaled_corpus(pool, size)
    log(f"scale {size:,}: {len(documents):,} documents")
    ours_dir, theirs_dir = cache / "scale" / str(size) / "ours", cache / "scale" / str(size) / "tutorial"
    ours_meta = build_ours(ours_dir, documents, builder)
    with_baseline = size <= baseline_max
    theirs_meta = build_theirs(theirs_dir, documents, builder) if with_baseline else None
    log(f"scale {size:,}: stores ready, timing queries")
    bot = our_bot(ours_dir, model)
    _, first_query_ms = timed(bot.ask, questions[0])  # includes loading the lexical index
    rag = TutorialRAG(theirs_dir, model) if with_baseline else None
    if rag:
        rag.search(questions[0])
    ask_ms, retrieve_ms, theirs_ms = [], [], []
    for number, question in enumerate(questions[1:]):
        order = ("ours", "theirs") if number % 2 == 0 else ("theirs", "ours")
        for side in order:
            if side == "ours":
                ask_ms.append(bot.ask(question).latency_ms)
                retrieve_ms.append(timed(bot.retrieve, question, 10)[1])
            elif rag:
                theirs_ms.append(timed(rag.search, question, TOP_K)[1])
    bot.close()
    del bot, rag
    log(f"scale {size:,}: cold start and memory (subprocesses)")
    questions_file = cache / "scale" / "questions.json"
    questions_file.write_text(json.dumps(questions[:cold_questions]))
    point: dict[str, Any] = {
        "size": size,
        "documents": len(documents),
        "ours_store": ours_meta | {"disk_mb": disk_mb(ours_dir / "chroma")},
        "theirs_store": (theirs_meta | {"disk_mb": disk_mb(theirs_dir)}) if theirs_meta else None,
        "ours_first_query_ms": round(first_query_ms, 1),
        "latency_ms": {
            "ours_answer": percentiles(ask_ms),
            "ours_retrieval": percentiles(retrieve_ms),
            "theirs_retrieval": percentiles(theirs_ms) if with_baseline else None,
        },
    }
    for side, directory in (("ours", ours_dir), ("theirs", theirs_dir if with_baseline else None)):
        if directory is None or side not in cold:
            continue
        firsts, peaks = [], []
        for _ in range(COLD_RUNS):
            _forget_questions(directory)
            worker_args = [side, str(directory), str(questions_file), repr(time.time())]
            _, sampled_mb, out = run_timed([python(), "-m", "bench.worker", *worker_args], env=_env())
            worker = json.loads(out.strip().splitlines()[-1])
            firsts.append(worker["first_answer_s"])
            peaks.append(max(worker["peak_rss_mb"], sampled_mb))
        point |= _median_and_runs(f"{side}_library_cold_start", firsts)
        point[f"{side}_peak_rss_mb"] = round(max(peaks), 1)
    if "cli" not in cold:
        return point
    cli = [python(), "-m", "assistant.cli", "ask", questions[0], "--data-dir", str(ours_dir), "--collection",
           COLLECTION]  # fmt: skip

    def cli_cold_start() -> float:
        _forget_questions(ours_dir)
        return run_timed(cli, env=_env())[0]

    runs = [cli_cold_start() for _ in range(COLD_RUNS)]
    return point | _median_and_runs("ours_cli_cold_start", runs)


def _median_and_runs(key: str, seconds: list[float]) -> dict[str, Any]:
    return {f"{key}_s": round(float(np.median(seconds)), 2), f"{key}_runs_s": [round(s, 2) for s in seconds]}


def _forget_questions(directory: Path) -> None:
    """A cold start must embed its question: drop the question vectors an earlier run cached."""
    for cache_file in directory.glob("embedding-cache.sqlite*"):
        cache_file.unlink()


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env["PYTHONPATH"] = str(ROOT)
    return env


def profile_load(directory: Path, model: MiniLMEmbedder) -> str:
    """The first question in a process loads every sentence and builds the lexical index."""
    bot = our_bot(directory, model)
    normalize_term.cache_clear()  # as in a new process: every word is stemmed again
    profiler = cProfile.Profile()
    profiler.enable()
    bot.lexical.table()  # any table access loads it
    profiler.disable()
    bot.close()
    return _top(profiler, 10)


def _top(profiler: cProfile.Profile, n: int) -> str:
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(n)
    lines = [line for line in text.getvalue().splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    site = str(Path(os.__file__).parent)
    return "\n".join(line.replace(str(ROOT) + "/", "").replace(site, "") for line in lines[start:])


def profile_queries(directory: Path, questions: list[str], model: MiniLMEmbedder) -> str:
    bot = our_bot(directory, model)
    bot.ask(questions[0])
    for question in questions[-10:]:  # load the parser and every lazy part first
        bot.ask(question)
    profiler = cProfile.Profile()
    profiler.enable()
    for question in questions:
        bot.ask(question)
    profiler.disable()
    bot.close()
    return _top(profiler, 12)


# Main --------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    started = time.perf_counter()
    args.cache.mkdir(parents=True, exist_ok=True)
    work = fresh(args.cache / "work")
    facts = machine_facts()
    log(f"machine: {facts['cpu']}, {facts['cores_logical']} cores, {facts['ram_gb']} GB")
    # The product's default thread counts, for questions and for bulk (ingest) embedding; the
    # "raw" figures are this same model, so ingest is compared at the same thread count, and
    # the tutorial embeds its questions with it too.
    defaults = Settings()
    model = MiniLMEmbedder(threads=defaults.onnx_threads, bulk_threads=defaults.ingest_threads)
    builder = CachedEmbedder(model, args.cache / "embedding-cache.sqlite")  # re-runs do not re-embed
    seed = seed_set()
    if args.quick:
        sets = [seed]
        sizes = _sizes(args.sizes or "100,300")
        ingest_parts = [("corpus/", seed.documents)]
        latency_n, cold_n = min(args.latency_questions, 20), 3
    else:
        sets = [seed] + [
            shared_set(name, args.squad_sample if name == "squad2_dev" else None)
            for name in shared_set_names()
        ]
        sizes = _sizes(args.sizes or "1000,10000,100000")
        by_name = {s.name: s for s in sets}
        ingest_parts = [
            ("rgb_en_fact_dev", by_name["rgb_en_fact_dev"].documents),
            ("squad2_small_dev", by_name["squad2_small_dev"].documents),
        ]
        latency_n, cold_n = args.latency_questions, 20
    results: dict[str, Any] = {"machine": facts, "options": {k: _shown(v) for k, v in vars(args).items()}}
    results["ingest"] = measure_ingest(ingest_parts, model, work)
    results["ingest_stages"] = ingest_stages(ingest_parts[-1][1], model, work)
    large_mb = 0.2 if args.quick else args.large_file_mb
    if large_mb:
        log(f"ingest: one {large_mb} MB file through the CLI")
        pool = [d for data in sets for d in data.documents]
        results["large_file"] = load.large_file(pool, large_mb, model, work)
    if not (args.quick or args.no_ui_load):
        log("web UI: 20 sessions, with and without a slow LLM stream")
        results["ui_load"] = load.ui_load(work)
    results["quality"] = [evaluate_set(data, model, builder, args.cache) for data in sets]

    mixed = [q.question for data in sets for q in data.questions if not q.history]
    random.Random(7).shuffle(mixed)
    latency_questions = mixed[: latency_n + 1]
    pool = scale_pool(sets)
    results["scale"] = []
    for size in sizes:
        results["scale"].append(
            scale_point(
                size,
                pool,
                latency_questions,
                model,
                builder,
                args.cache,
                args.baseline_max_size,
                cold_n,
                _cold(args.quick, size == sizes[-1]),
            )
        )
        _write(results, args, started)  # a partial report survives an interrupted large size
    points = results["scale"]
    xs = [p["ours_store"]["sentences"] for p in points]
    theirs_points = [p for p in points if p["theirs_store"]]
    results["growth"] = {
        "ours_answer_p50": slope(xs, [p["latency_ms"]["ours_answer"]["p50"] for p in points]),
        "ours_retrieval_p50": slope(xs, [p["latency_ms"]["ours_retrieval"]["p50"] for p in points]),
        "theirs_retrieval_p50": slope(
            [p["theirs_store"]["chunks"] for p in theirs_points],
            [p["latency_ms"]["theirs_retrieval"]["p50"] for p in theirs_points],
        ),
        "ours_build_s": slope(xs, [p["ours_store"]["build_s"] for p in points]),
        "ours_first_query_ms": slope(xs, [p["ours_first_query_ms"] for p in points]),
        "ours_peak_rss_mb": slope(xs, [p.get("ours_peak_rss_mb") for p in points]),
        "ours_disk_mb": slope(xs, [p["ours_store"]["disk_mb"] for p in points]),
    }
    profiled = max(points, key=lambda p: p["size"] if p["size"] <= 10_000 else 0)
    profiled_dir = args.cache / "scale" / str(profiled["size"]) / "ours"
    results["profile_query"] = {
        "size": profiled["size"],
        "top": profile_queries(profiled_dir, latency_questions[1:51], model),
        "load_top": profile_load(profiled_dir, model),
    }
    builder.close()
    _write(results, args, started)
    log(f"done in {time.perf_counter() - started:.0f} s: {args.out / 'latest.md'}")
    return 0


def _cold(quick: bool, last: bool) -> tuple[str, ...]:
    """Which cold-start processes to run; --quick runs the library ones at its last size only
    (the CLI is covered by tests/test_cli.py), to stay a fast smoke test."""
    if not quick:
        return ("ours", "theirs", "cli")
    return ("ours", "theirs") if last else ()


def _sizes(text: str) -> list[int]:
    return sorted(int(s.replace("_", "")) for s in text.split(",") if s.strip())


def _write(results: dict[str, Any], args: argparse.Namespace, started: float) -> None:
    results["seconds"] = round(time.perf_counter() - started, 1)
    write_report(results, args.out)


def _shown(value: object) -> str:
    """Options as a reader would type them: paths relative to the repository, not this machine's."""
    if isinstance(value, Path):
        try:
            return value.resolve().relative_to(Path.cwd().resolve()).as_posix()
        except ValueError:
            return value.name
    return str(value)
