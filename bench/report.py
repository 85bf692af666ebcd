"""latest.json, latest.md (tables a person reads) and the PNG plots."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt


def write_report(results: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    if results.get("scale"):
        plot_latency(results["scale"], out / "latency_vs_size.png")
    if results.get("quality"):
        plot_quality(results["quality"], out / "quality_per_dataset.png")
    (out / "latest.md").write_text(markdown(results), encoding="utf-8")


def _f(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}×" if a and b else "–"


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(_f(c) if not isinstance(c, str) else c for c in row) + " |" for row in rows]
    return [*lines, ""]


def targets(results: dict[str, Any]) -> list[list[str]]:
    rows = []
    scale = results.get("scale", [])
    with_base = [p for p in scale if p["latency_ms"]["theirs_retrieval"]]
    if with_base:
        text, met = [], True
        for p in with_base:
            ours, theirs = p["latency_ms"]["ours_answer"]["p50"], p["latency_ms"]["theirs_retrieval"]["p50"]
            text.append(f"{p['size']:,}: {ours:.1f} vs {theirs:.1f} ms = {ours / theirs:.2f}×")
            met &= ours <= 4 * theirs
        rows.append(["answer p50 ≤ 4 × tutorial retrieval p50", "; ".join(text), _met(met)])
    if scale:
        text, met = [], True
        for p in scale:
            lat = p["latency_ms"]["ours_answer"]
            text.append(f"{p['size']:,}: {lat['p95']:.1f} / {lat['p50']:.1f} = {lat['p95'] / lat['p50']:.2f}")
            met &= lat["p95"] <= 2 * lat["p50"]
        rows.append(["answer p95 ≤ 2 × p50", "; ".join(text), _met(met)])
        largest = scale[-1]
        p50 = largest["latency_ms"]["ours_answer"]["p50"]
        rows.append(
            [
                "answer p50 ≤ 100 ms at 100k",
                f"{p50:.1f} ms at {largest['ours_store']['sentences']:,} sentences",
                _met(p50 <= 100) + ("" if largest["size"] >= 100_000 else " (100k not run)"),
            ]
        )
    ingest = results.get("ingest")
    if ingest:
        rows.append(
            [
                "ingest ≥ 0.9 × raw embedder",
                f"{ingest['ours_sentences_per_s']:.0f} vs {ingest['raw_sentences_per_s']:.0f} sentences/s "
                f"= {ingest['ours_vs_raw']:.2f}",
                _met(ingest["ours_vs_raw"] >= 0.9),
            ]
        )
        rows.append(
            [
                "ingest never slower than the tutorial's",
                f"{ingest['ours_s']:.1f} s vs {ingest['theirs_s']:.1f} s "
                f"for the same {ingest['docs']:,} documents",
                _met(ingest["ours_s"] <= ingest["theirs_s"]),
            ]
        )
    large = results.get("large_file")
    if large:
        rows.append(
            [
                f"one {large['megabytes']} MB file: ingest ≥ 0.9 × raw embedder, peak RSS ≤ 1.5 GB",
                f"{large['ours_sentences_per_s']:.0f} vs {large['raw_sentences_per_s']:.0f} sentences/s "
                f"= {large['ours_vs_raw']:.2f}; {large['sentences']:,} sentences in {large['ours_s']:.0f} s; "
                f"peak {large['peak_rss_mb']:,} MB"
                + (
                    f" (raw at one thread: {large['raw_one_thread_sentences_per_s']:.0f}/s, "
                    f"ours {large['ours_vs_raw_one_thread']:.2f}× that)"
                    if "raw_one_thread_sentences_per_s" in large
                    else ""
                ),
                _met(large["ours_vs_raw"] >= 0.9 and large["peak_rss_mb"] <= 1536),
            ]
        )
    ui = results.get("ui_load")
    if ui:
        alone, beside = ui["answer_ms_without_slow_stream"], ui["answer_ms_beside_slow_stream"]
        rows.append(
            [
                f"{ui['sessions']} UI sessions: a slow LLM stream ({ui['slow_stream_ms'] / 1000:.0f} s) "
                "holds up no other",
                f"others' answers p50 / p95: {alone['p50']:.0f} / {alone['p95']:.0f} ms alone, "
                f"{beside['p50']:.0f} / {beside['p95']:.0f} ms beside it",
                _met(beside["p95"] < ui["slow_stream_ms"] / 2),
            ]
        )
    if scale:
        colds = [
            (p["size"], p.get("ours_library_cold_start_s"), p.get("ours_cli_cold_start_s")) for p in scale
        ]
        rows.append(
            [
                "cold start to first answer ≤ 3 s",
                "; ".join(f"{s:,}: library {_f(a, 1)} s, CLI {_f(c, 1)} s" for s, a, c in colds),
                _met(all(max(a or 0, c or 0) <= 3 for _, a, c in colds)),
            ]
        )
        rss = scale[-1].get("ours_peak_rss_mb")
        rows.append(
            [
                "peak RSS ≤ 1 GB at 100k",
                f"{_f(rss, 0)} MB at {scale[-1]['ours_store']['sentences']:,} sentences",
                _met(rss is not None and rss <= 1024),
            ]
        )
    return rows


def _why(r: dict[str, Any]) -> list[str]:
    """Where the time goes behind the latency, ingest and cold-start figures, from this run's numbers."""
    lines = ["Where the time goes:", ""]
    scale = r.get("scale") or []
    if scale:
        lat = scale[-1]["latency_ms"]
        answer, retrieval = lat["ours_answer"]["p50"], lat["ours_retrieval"]["p50"]
        theirs = (lat["theirs_retrieval"] or {}).get("p50")
        lines.append(
            f"- Query, at {scale[-1]['size']:,}: retrieval alone is {retrieval:.1f} ms p50"
            + (f" against the tutorial's {theirs:.1f} ms" if theirs else "")
            + " (embedding the question is most of both; ours also scores 40 dense + 40 BM25 "
            f"candidates on three signals); the reader adds {answer - retrieval:.1f} ms at p50: one "
            "ONNX run per top sentence, two at a time: the top two, then the next two only when "
            "neither settled the answer (see the profile below)."
        )
        first = scale[-1]["ours_first_query_ms"]
        lines.append(
            f"- First question of a process at {scale[-1]['size']:,} sentences: {first / 1000:,.1f} s "
            "(the lexical index comes from its snapshot beside the store when one matches the store; "
            "it is rebuilt, and the snapshot written, when the store changed)."
        )
    ingest, stages = r.get("ingest"), r.get("ingest_stages")
    if ingest and stages:
        lines.append(
            f"- Ingest: besides embedding we segment, chunk and write three collections; "
            f"run one after another, embedding is {stages['embed_share']:.0%} of the work. "
            "The pipeline overlaps "
            f"the rest with embedding (the model was busy {ingest['ours_embed_busy_share']:.0%} of our "
            "ingest), but on two cores shared with other work the overlapping threads slow the model "
            "itself down, so the ratio to the bare model stays below target."
        )
    return [*lines, ""]


def _met(ok: bool) -> str:
    return "met" if ok else "**missed**"


def markdown(r: dict[str, Any]) -> str:
    m = r["machine"]
    lines = [
        "# Benchmark: the assistant next to the LangChain tutorial pipeline",
        "",
        f"Generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `python -m bench` "
        f"in {r.get('seconds', 0):,.0f} s. Options: `{r['options']}`.",
        "",
        f"Machine: {m['cpu']} (int8: {m.get('int8', 'unknown')}); "
        f"{m['cores_logical']} logical / {m['cores_physical']} physical cores; "
        f"{m['ram_gb']} GB RAM; Python {m['python']}; {m['platform']}. Load average at start "
        f"{m['load_average_at_start']} (the cores are shared with other work; ours and the tutorial "
        "are timed question by question, alternating who goes first, so load hits both alike).",
        "",
        "Packages: " + ", ".join(f"{k} {v}" for k, v in m["packages"].items()) + ".",
        "",
        'Baseline ("tutorial"): LangChain\'s RAG tutorial pipeline as a user writes it: '
        "`RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200, add_start_index=True)` + "
        "`langchain_chroma.Chroma` + top-4 `similarity_search`, with **our** offline embedder "
        "(bundled MiniLM int8, onnxruntime at the product's default threads) so both embed with "
        "the same model. At query "
        "time both sides use the bare model: every question is embedded, nothing comes from a cache.",
        "",
    ]
    lines += ["## Targets", "", *_table(["target", "measured", ""], targets(r)), *_why(r)]
    if r.get("quality"):
        lines += _quality(r["quality"])
    if r.get("ingest"):
        lines += _ingest(r["ingest"], r.get("ingest_stages"))
    if r.get("scale"):
        lines += _scale(r["scale"], r.get("growth"))
    if r.get("profile_query"):
        lines += [
            "## Profile of the query path",
            "",
            f"cProfile, 50 warm questions at {r['profile_query']['size']:,} sentences, by own time:",
            "",
            "```",
            r["profile_query"]["top"],
            "```",
            "",
            "The first question of a process also loads every sentence and builds the lexical index "
            f"(cProfile, {r['profile_query']['size']:,} sentences):",
            "",
            "```",
            r["profile_query"].get("load_top", ""),
            "```",
            "",
        ]
    lines += [
        "## Method",
        "",
        "- Retrieval hit@k / MRR@10 (answerable questions): a retrieved unit (our sentence, their "
        "chunk) hits when it covers at least half of a gold evidence span, located in its document by "
        "doc_id + `str.find` (text containment when it is not verbatim there).",
        "- Answer in context: a gold answer (SQuAD normalisation, `assistant.evaluation.contains_answer`) "
        "inside what a reader is handed: our top-5 sentences, their top-4 chunks; then the same at equal "
        "size (each side's ranking cut at the other's characters) and at 1,000 characters each (one "
        "chunk's reading cost).",
        "- Our answer metrics: `assistant.evaluation.score_answer` + `report`, the same as `assistant eval`.",
        "- Scaled corpora: all documents of the sets above, then copies of them, each copy with its own "
        'doc_id and one appended sentence ("Benchmark copy N."), until the corpus holds the number of '
        "sentences (our indexed unit) asked for; a smaller size is a prefix of a larger one. Stores are "
        "cached in `bench/cache/` (gitignored); the embedding cache makes repeated sentences free.",
        "- Cold start: a new process that opens an existing store and answers one question (library: "
        "imports, `Assistant.open`, `ask`; CLI: `assistant ask`, until the process exits). Peak RSS: the "
        "same library process after 20 questions (the larger of its own VmHWM and psutil sampling "
        "every 20 ms).",
        "- Build times of the cached stores are from the run that first built them, on the same shared "
        "machine; a re-run reads the stores and times only the queries.",
        "",
    ]
    return "\n".join(lines)


def _quality(sets: list[dict[str, Any]]) -> list[str]:
    lines = [
        "## Quality per data set",
        "",
        "Retrieval, answerable questions. Ours ranks sentences (median ~150 characters), the tutorial "
        "ranks 1,000-character chunks: our hit@1 costs the reader one sentence, theirs one chunk.",
        "",
    ]
    rows = []
    for s in sets:
        q = s["retrieval"]
        rows.append(
            [s["name"], q["n_answerable"], q["ours_hit_at_1"], q["ours_hit_at_5"], q["ours_hit_at_10"],
             q["ours_mrr_at_10"], q["theirs_hit_at_1"], q["theirs_hit_at_4"], q["theirs_hit_at_5"],
             q["theirs_hit_at_10"], q["theirs_mrr_at_10"]]
        )  # fmt: skip
    lines += _table(
        ["set", "n", "ours sent. hit@1", "hit@5", "hit@10", "MRR@10", "tutorial chunk hit@1", "hit@4",
         "hit@5", "hit@10", "MRR@10"],
        rows,
    )  # fmt: skip
    lines += ["Answer in context (share of answerable questions):", ""]
    rows = []
    for s in sets:
        q = s["retrieval"]
        rows.append(
            [s["name"], f"{q['ours_answer_in_context']:.3f} ({q['ours_context_chars_mean']:,.0f} ch)",
             f"{q['theirs_answer_in_context']:.3f} ({q['theirs_context_chars_mean']:,.0f} ch)",
             q["ours_answer_in_context_at_their_size"], q["theirs_answer_in_context_at_our_size"],
             q["ours_answer_in_1000_chars"], q["theirs_answer_in_1000_chars"]]
        )  # fmt: skip
    lines += _table(
        ["set", "ours top-5 sentences", "tutorial top-4 chunks", "ours at their size", "tutorial at our size",
         "ours in 1,000 ch", "tutorial in 1,000 ch"],
        rows,
    )  # fmt: skip
    lines += [
        "Our answers (`assistant.evaluation.report`; the tutorial pipeline has no reader). "
        "'seen by the reader' counts questions from articles the reader was trained or tuned on: "
        "a set where it is not 0 is not a held-out figure.",
        "",
    ]
    rows = []
    for s in sets:
        a = s["answers"]
        seen = a.get("questions_from_training_articles", 0) + a.get("questions_from_tuning_articles", 0)
        rows.append(
            [s["name"], "held out" if not seen else f"TRAINED/TUNED ON {seen / max(a['n'], 1):.0%}",
             a["n"], a["n_answerable"], a["answer_accuracy"], a["answer_em"], a["answer_f1"],
             a["refusal_accuracy"] if a["n_unanswerable"] else "–", a["false_refusal_rate"],
             a["citation_precision"], a["citation_recall"], a["citation_verbatim"]]
        )  # fmt: skip
    lines += _table(
        ["set", "seen by the reader", "n", "answerable", "accuracy", "EM", "F1", "refusal acc.",
         "false refusals", "citation prec.", "citation recall", "verbatim"],
        rows,
    )  # fmt: skip
    lines += ["Latency on these sets (ms, warm):", ""]
    rows = []
    for s in sets:
        lat = s["latency_ms"]
        rows.append(
            [s["name"], f"{lat['ours_answer']['p50']:.1f} / {lat['ours_answer']['p95']:.1f}",
             f"{lat['ours_retrieval']['p50']:.1f} / {lat['ours_retrieval']['p95']:.1f}",
             f"{lat['ours_reader']['p50']:.1f} / {lat['ours_reader']['p95']:.1f}"
             if "ours_reader" in lat else "–",
             f"{lat['theirs_retrieval']['p50']:.1f} / {lat['theirs_retrieval']['p95']:.1f}",
             _ratio(lat["ours_answer"]["p50"], lat["theirs_retrieval"]["p50"]),
             f"{s['ours_store']['sentences']:,} / {s['theirs_store']['chunks']:,}"]
        )  # fmt: skip
    lines += _table(
        ["set", "ours answer p50 / p95", "ours retrieval p50 / p95", "ours reader p50 / p95",
         "tutorial retrieval p50 / p95",
         "answer ÷ tutorial (p50)", "indexed: our sentences / their chunks"],
        rows,
    )  # fmt: skip
    lines += ["![quality per data set](quality_per_dataset.png)", ""]
    for s in sets:
        lines.append(
            f"- {s['name']}: {s['documents']:,} documents, {s['questions']:,} questions ({s['note']})."
        )
    return [*lines, ""]


def _ingest(i: dict[str, Any], stages: dict[str, Any] | None) -> list[str]:
    lines = [
        "## Ingestion (fresh stores, cold embedding cache, warm models)",
        "",
        f"Corpus: {i['corpus']}: {i['docs']:,} documents, {i['sentences']:,} sentences for us "
        f"({i['chunks_ours']:,} chunks), {i['chunks_theirs']:,} chunks for the tutorial. The raw embedder "
        "is the bare model embedding exactly the texts each pipeline embeds, in the same run.",
        "",
    ]
    lines += _table(
        ["pipeline", "wall s", "docs/s", "units/s", "raw embedder units/s", "pipeline ÷ raw"],
        [
            ["ours (sentences)", i["ours_s"], i["ours_docs_per_s"], i["ours_sentences_per_s"],
             i["raw_sentences_per_s"], i["ours_vs_raw"]],
            ["tutorial (chunks)", i["theirs_s"], i["theirs_docs_per_s"], i["theirs_chunks_per_s"],
             i["raw_chunks_per_s"], i["theirs_vs_raw"]],
        ],
    )  # fmt: skip
    lines += [
        f"Ours is {i['ours_vs_theirs_wall']:.2f}× the tutorial's ingest speed on the same documents.",
        "",
    ]
    if stages:
        lines += [
            f"Where our ingest time goes, stage by stage, one after another "
            f"({stages['documents']:,} documents, "
            f"{stages['sentences']:,} sentences): analyse (segment, chunk) {stages['analyse_ms']:,} ms, "
            f"embed {stages['embed_ms']:,} ms, store {stages['store_ms']:,} ms; embedding is "
            f"{stages['embed_share']:.0%} of it. Ingest runs the three as a pipeline (analysis of the next "
            "batch and the store write of the previous one overlap the embedding); during the timed ingest "
            f"above the model was busy {i.get('ours_embed_busy_share', 0):.0%} of the wall time.",
            "",
        ]
    return lines


def _scale(points: list[dict[str, Any]], growth: dict[str, Any] | None) -> list[str]:
    lines = [
        "## Speed and memory against corpus size",
        "",
        "Size = sentences in our index (our retrieval unit); the tutorial indexes the same documents as "
        "1,000-character chunks. Latency in ms, warm, p50 / p95.",
        "",
    ]
    rows = []
    for p in points:
        lat, t = p["latency_ms"], p["theirs_store"]
        rows.append(
            [f"{p['size']:,}", p["documents"], p["ours_store"]["sentences"], p["ours_store"]["chunks"],
             t["chunks"] if t else "not built",
             f"{lat['ours_answer']['p50']:.1f} / {lat['ours_answer']['p95']:.1f}",
             f"{lat['ours_retrieval']['p50']:.1f} / {lat['ours_retrieval']['p95']:.1f}",
             f"{lat['theirs_retrieval']['p50']:.1f} / {lat['theirs_retrieval']['p95']:.1f}"
             if lat["theirs_retrieval"] else "–",
             _ratio(lat["ours_answer"]["p50"], (lat["theirs_retrieval"] or {}).get("p50"))]
        )  # fmt: skip
    lines += _table(
        ["size", "docs", "our sentences", "our chunks", "tutorial chunks", "ours answer", "ours retrieval",
         "tutorial retrieval", "answer ÷ tutorial"],
        rows,
    )  # fmt: skip
    rows = []
    for p in points:
        t = p["theirs_store"]
        rows.append(
            [f"{p['size']:,}", p["ours_first_query_ms"], p.get("ours_library_cold_start_s"),
             p.get("ours_cli_cold_start_s"), p.get("theirs_library_cold_start_s"), p.get("ours_peak_rss_mb"),
             p.get("theirs_peak_rss_mb"), p["ours_store"]["disk_mb"], t["disk_mb"] if t else None,
             p["ours_store"]["build_s"], t["build_s"] if t else None]
        )  # fmt: skip
    lines += _table(
        ["size", "ours first query ms (loads lexical index)", "ours cold start, library s",
         "ours cold start, CLI s", "tutorial cold start s", "ours peak RSS MB", "tutorial peak RSS MB",
         "ours disk MB", "tutorial disk MB", "ours build s", "tutorial build s"],
        rows,
    )  # fmt: skip
    lines += [
        "Cold starts are the median of 3 fresh processes each (the JSON keeps every run): the first "
        "process after a store is built also reads it into the page cache.",
        "",
        "Build times are from each cached store's first build, with a shared embedding cache. For us "
        "the copies' sentences repeat earlier ones, so our build time is mostly segmenting, chunking and "
        "Chroma writes; each tutorial chunk that holds a copy's appended sentence is new text and is "
        "embedded, so its build time is mostly embedding.",
        "",
        "![latency against corpus size](latency_vs_size.png)",
        "",
    ]
    if growth:
        lines += [
            "How cost grows (exponent b of cost ∝ size^b, least squares on logs over the sizes above):",
            "",
        ]
        lines += _table(["cost", "b"], [[k.replace("_", " "), _f(v)] for k, v in growth.items()])
    return lines


def plot_latency(points: list[dict[str, Any]], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=90)
    xs = [p["ours_store"]["sentences"] for p in points]
    for key, label, style in (
        ("ours_answer", "ours: whole answer", "o-"),
        ("ours_retrieval", "ours: retrieval only", "s--"),
    ):
        ax.plot(xs, [p["latency_ms"][key]["p50"] for p in points], style, label=f"{label} p50")
        ax.plot(xs, [p["latency_ms"][key]["p95"] for p in points], style[0] + ":", alpha=0.5,
                label=f"{label} p95")  # fmt: skip
    base = [p for p in points if p["latency_ms"]["theirs_retrieval"]]
    if base:
        bx = [p["ours_store"]["sentences"] for p in base]  # the same corpus, so the same x
        ax.plot(bx, [p["latency_ms"]["theirs_retrieval"]["p50"] for p in base], "^-", color="black",
                label="tutorial: retrieval (top-4) p50")  # fmt: skip
        ax.plot(bx, [p["latency_ms"]["theirs_retrieval"]["p95"] for p in base], "^:", color="black",
                alpha=0.5, label="tutorial p95")  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_yticks([5, 10, 20, 50, 100, 200])
    ax.set_xlabel("corpus size: sentences in our index (the tutorial indexes the same documents as chunks)")
    ax.set_ylabel("latency per question, ms (warm)")
    ax.set_title("Query latency against corpus size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_quality(sets: list[dict[str, Any]], path: Path) -> None:
    names = [s["name"] for s in sets]
    series = (
        ("ours_hit_at_1", "ours sentence hit@1"),
        ("theirs_hit_at_1", "tutorial chunk hit@1"),
        ("ours_hit_at_5", "ours sentence hit@5"),
        ("theirs_hit_at_4", "tutorial chunk hit@4 (its context)"),
        ("ours_answer_in_context", "ours answer in top-5 sentences"),
        ("theirs_answer_in_context", "tutorial answer in top-4 chunks"),
    )
    fig, ax = plt.subplots(figsize=(8, 4.8), dpi=90)
    width = 0.8 / len(series)
    colors = ["#1f77b4", "#7f7f7f", "#6baed6", "#bdbdbd", "#08519c", "#404040"]
    for n, (key, label) in enumerate(series):
        values = [s["retrieval"][key] for s in sets]
        ax.bar([i + (n - len(series) / 2 + 0.5) * width for i in range(len(sets))], values, width,
               label=label, color=colors[n])  # fmt: skip
    ax.set_xticks(range(len(sets)), names)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("share of answerable questions")
    ax.set_title("Retrieval quality per data set: ours (blue) and the tutorial (grey)")
    ax.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.08))
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
