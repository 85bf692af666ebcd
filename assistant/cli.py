"""``assistant`` command line: ingest | ask | chat | docs | remove | eval. A thin layer."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from . import evaluation
from .backends import BACKENDS
from .config import Settings
from .core import Assistant
from .errors import AssistantError, UserInputError
from .reader import card
from .types import Answer


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except AssistantError as exc:
        _print_error(exc, as_json=getattr(args, "json", False))
        return 2 if isinstance(exc, UserInputError) else 1
    except KeyboardInterrupt:
        return 130


def _print_error(exc: AssistantError, as_json: bool) -> None:
    """One place where errors reach the user: plain text on stderr, or JSON on stdout with --json."""
    if as_json:
        print(json.dumps({"error": str(exc), "kind": type(exc).__name__}, ensure_ascii=False))
    else:
        print(f"error: {exc}", file=sys.stderr)


def _add_settings(parser: argparse.ArgumentParser, default: object) -> None:
    group = parser.add_argument_group("settings (override ASSISTANT_* environment variables)")
    group.add_argument(
        "--data-dir", default=default, help="store directory (ASSISTANT_DATA_DIR, default ./data)"
    )
    group.add_argument(
        "--store", default=default, choices=["embedded", "server"], help="Chroma mode (ASSISTANT_STORE)"
    )
    group.add_argument("--chroma-host", default=default, help="Chroma server host (ASSISTANT_CHROMA_HOST)")
    group.add_argument(
        "--chroma-port", default=default, type=int, help="Chroma server port (ASSISTANT_CHROMA_PORT)"
    )
    group.add_argument("--collection", default=default, help="collection name prefix (ASSISTANT_COLLECTION)")
    group.add_argument(
        "--embedder", default=default, help="'local:minilm' or 'openai:<model>' (ASSISTANT_EMBEDDER)"
    )
    group.add_argument("--top-k", default=default, type=int, help="sources per answer (ASSISTANT_TOP_K)")


def _parser() -> argparse.ArgumentParser:
    # The settings work before the command (`assistant --data-dir X docs`) and after it. After
    # it they default to SUPPRESS: a subcommand's own default (None) would otherwise overwrite
    # the value given before the command.
    common = argparse.ArgumentParser(add_help=False)
    _add_settings(common, argparse.SUPPRESS)

    llm = argparse.ArgumentParser(add_help=False)
    answers = llm.add_argument_group("LLM answers (default: the offline extractive answerer)")
    answers.add_argument("--backend", choices=list(BACKENDS), help="who writes answers (ASSISTANT_BACKEND)")
    answers.add_argument(
        "--base-url", help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1 (OPENAI_BASE_URL)"
    )
    answers.add_argument("--model", help="chat model name (ASSISTANT_LLM_MODEL)")
    answers.add_argument(
        "--gguf", type=Path, help="serve this GGUF file with a local llama.cpp server (ASSISTANT_LLM_GGUF)"
    )

    parser = argparse.ArgumentParser(
        prog="assistant",
        description=__doc__,
        epilog="The settings can come before the command or after it; LLM options go after it.",
    )
    _add_settings(parser, None)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    ingest = commands.add_parser("ingest", parents=[common], help="add files, folders or a documents.jsonl")
    ingest.add_argument("paths", nargs="+", type=Path)
    ingest.set_defaults(run=_ingest)

    ask = commands.add_parser("ask", parents=[common, llm], help="answer one question with citations")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the answer as JSON")
    ask.set_defaults(run=_ask)

    chat = commands.add_parser(
        "chat", parents=[common, llm], help="interactive chat with follow-up questions"
    )
    chat.set_defaults(run=_chat)

    docs = commands.add_parser("docs", parents=[common], help="list indexed documents")
    docs.set_defaults(run=_docs)

    remove = commands.add_parser("remove", parents=[common], help="remove documents by id")
    remove.add_argument("doc_ids", nargs="+")
    remove.set_defaults(run=_remove)

    ev = commands.add_parser(
        "eval", parents=[common, llm], help="run a scripted question set and report metrics"
    )
    ev.add_argument("questions", type=Path, help="questions.jsonl")
    source = ev.add_mutually_exclusive_group()
    source.add_argument("--documents", type=Path, help="documents.jsonl to ingest first")
    source.add_argument("--corpus", type=Path, help="folder of files to ingest first")
    ev.add_argument("--out", type=Path, required=True, help="directory for report.json and results.jsonl")
    ev.add_argument("--limit", type=int, help="only the first N questions")
    ev.set_defaults(run=_eval)
    return parser


def _settings(args: argparse.Namespace, **extra: object) -> Settings:
    names = ("data_dir", "store", "chroma_host", "chroma_port", "collection", "embedder", "top_k")
    overrides = {name: getattr(args, name, None) for name in names}
    overrides["backend"] = getattr(args, "backend", None)
    overrides["openai_base_url"] = getattr(args, "base_url", None)
    overrides["llm_model"] = getattr(args, "model", None)
    overrides["llm_gguf"] = getattr(args, "gguf", None)
    if overrides["openai_base_url"] and not overrides["backend"]:
        overrides["backend"] = "openai"  # --base-url alone means: answer with that endpoint
    overrides.update(extra)
    return Settings.from_env(**overrides)


def _open(args: argparse.Namespace, **extra: object) -> Assistant:
    return Assistant.open(settings=_settings(args, **extra))


def _ingest(args: argparse.Namespace) -> int:
    with _open(args) as bot:
        report = bot.ingest(*args.paths, progress=True)
    print(report.summary())
    for path, reason in report.failed:
        print(f"  failed: {path}: {reason}", file=sys.stderr)
    return 1 if report.failed and not (report.added or report.updated or report.unchanged) else 0


def _ask(args: argparse.Namespace) -> int:
    with _open(args) as bot:
        answer = bot.ask(args.question)
        _warn_if_empty(bot)  # after asking: the question loaded what this check reads
    if args.json:
        print(json.dumps(answer.to_dict(bot.settings.top_k), indent=2, ensure_ascii=False))
    else:
        print(format_answer(answer))
    return 0


CHAT_COMMANDS = {
    "/new": "start a new conversation (forget the earlier questions)",
    "/help": "list these commands",
}


def _chat(args: argparse.Namespace) -> int:
    with _open(args) as bot:
        _warn_if_empty(bot)
        conversation = bot.conversation()
        print(
            "Ask about the documents. Empty line or Ctrl-D to quit; /new starts over, /help lists commands."
        )
        while True:
            try:
                question = input("\n> ").strip()
            except EOFError:
                return 0
            if not question:
                return 0
            if question == "/new":
                conversation.reset()
                print("Started a new conversation: follow-up questions no longer refer to earlier answers.")
                continue
            if question == "/help":
                print("\n".join(f"{name}  {what}" for name, what in CHAT_COMMANDS.items()))
                continue
            if re.fullmatch(r"/\w+", question):
                # A mistyped command would otherwise be asked as a question about the documents.
                print(f"unknown command {question}; the commands are: {', '.join(CHAT_COMMANDS)}")
                continue
            try:
                print(format_answer(conversation.ask(question)))
            except UserInputError as exc:
                print(f"error: {exc}")


def _docs(args: argparse.Namespace) -> int:
    with _open(args) as bot:
        infos = bot.documents()
    if not infos:
        print("no documents; add some with: assistant ingest PATH")
    for info in infos:
        title = info.title or "(no title)"
        counts = f"{info.n_sentences} sentences\t{info.n_chunks} chunks"
        print(f"{info.doc_id}\t{title[:70]}\t{counts}\t{info.added_at}")
    return 0


def _remove(args: argparse.Namespace) -> int:
    with _open(args) as bot:
        for doc_id in args.doc_ids:
            bot.remove(doc_id)
            print(f"removed {doc_id}")
    return 0


def _eval(args: argparse.Namespace) -> int:
    questions = evaluation.load_questions(args.questions)
    if args.limit:
        questions = questions[: args.limit]
    source = args.documents or args.corpus
    # Each evaluation corpus gets its own collection so it never mixes with the user's documents.
    collection = args.collection or _collection_for(source or args.questions)
    with _open(args, collection=collection) as bot:
        if source:
            print(bot.ingest(source, progress=True).summary(), file=sys.stderr)
        scored = evaluation.run(bot, questions)
    summary = evaluation.report(scored, verification=bot.settings.backend == "openai" or None)
    reader_card = card()
    summary |= evaluation.data_use(
        questions, reader_card["trained_on_articles"], reader_card["tuned_on_articles"]
    )
    evaluation.write(args.out, scored, summary)
    print(evaluation.format_table(summary))
    print(f"\nthis set is {evaluation.data_use_label(summary)}")
    print(f"\nwrote {args.out / 'report.json'} and {args.out / 'results.jsonl'}")
    return 0


def _collection_for(path: Path) -> str:
    name = path.resolve().parent.name if path.is_file() else path.resolve().name
    return "eval-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-_") or "set")


def _warn_if_empty(bot: Assistant) -> None:
    if bot.is_empty():
        print("warning: the store is empty; add documents with: assistant ingest PATH", file=sys.stderr)


def format_answer(answer: Answer) -> str:
    lines = [*(f"({c.note})" for c in answer.corrections), answer.text]
    v = answer.verification
    if v is not None:
        if v.fallback:
            lines.append(
                f"\n(the model's answer was replaced by the {v.fallback} answer: {v.error or v.reason})"
            )
        else:
            lines.append(f"\n(verified: {v.supported} of {v.checked} sentences supported by their citations)")
            for claim in v.flagged:
                lines.append(f"  ⚠ unsupported: {claim.text} — {'; '.join(claim.reasons)}")
    for c in answer.citations:
        title = f" — {c.title}" if c.title else ""
        lines.append(f"\n[{c.marker}] {c.doc_id}{title} (chars {c.start}–{c.end})")
        lines.append(f"    “{c.text}”")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
