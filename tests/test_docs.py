"""The documentation points at things that exist: commands, flags, modules, make targets, files.

The README is edited by many hands while the CLI changes under it; these checks read the
Markdown itself, so a renamed flag or a moved file fails here instead of on a new user.
"""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import pytest

from assistant.cli import _parser

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", ROOT / "ARCHITECTURE.md", ROOT / "training" / "RESEARCH.md"]

CODE_BLOCK = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
INLINE_CODE = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.*)$", re.M)


def _commands(text: str, program: str) -> list[list[str]]:
    """Every command line in code blocks and inline code that runs ``program``, as tokens from it on.

    Block lines joined across ``\\`` continuations; ``#`` comments and ``VAR=value`` prefixes dropped.
    """
    snippets: list[str] = []
    for block in CODE_BLOCK.findall(text):
        snippets += block.replace("\\\n", " ").splitlines()
    snippets += INLINE_CODE.findall(CODE_BLOCK.sub("", text))
    commands = []
    for snippet in snippets:
        try:
            tokens = shlex.split(snippet, comments=True)
        except ValueError:  # a fragment with an unbalanced quote is prose, not a command
            continue
        while tokens and re.fullmatch(r"[A-Z_]+=\S*", tokens[0]):
            tokens.pop(0)
        if tokens and Path(tokens[0]).name == program:
            commands.append(tokens[1:])
    return commands


def _subcommands() -> dict[str, set[str]]:
    """Each ``assistant`` subcommand and the option strings it accepts."""
    (sub,) = (a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    return {
        name: {flag for action in parser._actions for flag in action.option_strings}
        for name, parser in sub.choices.items()
    }


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_assistant_command_in_the_docs_exists_with_its_flags(doc: Path) -> None:
    """Each `assistant SUBCOMMAND --flag` the docs show is a real subcommand taking that flag."""
    subcommands = _subcommands()
    commands = _commands(doc.read_text(encoding="utf-8"), "assistant")
    if doc.name == "README.md":
        assert len(commands) > 10, "the README's command lines were not found"
    for tokens in commands:
        if not tokens:
            continue
        # Settings options may come before the command ("assistant --data-dir X docs"): each
        # must be one the command takes too.
        first = next((i for i, t in enumerate(tokens) if t in subcommands), 0)
        name = tokens[first]
        flags = [t.split("=")[0] for t in tokens[:first] + tokens[first + 1 :] if t.startswith("--")]
        assert name in subcommands, f"{doc.name}: `assistant {name}` is not a command"
        unknown = [f for f in flags if f not in subcommands[name]]
        assert not unknown, f"{doc.name}: `assistant {' '.join(tokens)}`: {name} takes no {unknown}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_python_module_and_make_target_in_the_docs_exists(doc: Path) -> None:
    """`python -m X` names a module of this repository and `make X` a target of the Makefile."""
    text = doc.read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][\w-]*):", (ROOT / "Makefile").read_text(), re.M))
    for tokens in _commands(text, "python"):
        if tokens[:1] == ["-m"] and len(tokens) > 1:
            path = ROOT / tokens[1].replace(".", "/")
            assert path.with_suffix(".py").is_file() or (path / "__main__.py").is_file(), (
                f"{doc.name}: `python -m {tokens[1]}` names no module here"
            )
    for tokens in _commands(text, "make"):
        for target in (t for t in tokens if "=" not in t):
            assert target in targets, f"{doc.name}: `make {target}` is not a Makefile target"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_relative_link_in_the_docs_resolves(doc: Path) -> None:
    """A link inside the repository names a file that exists, and its #anchor a heading in it."""
    for target in LINK.findall(doc.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):
            continue  # http(s), mailto: not ours to check offline
        path_part, _, anchor = target.partition("#")
        path = (doc.parent / path_part).resolve() if path_part else doc
        if not path.is_relative_to(ROOT):
            continue  # ../shared and other folders beside a clone
        assert path.exists(), f"{doc.name}: link to {target}: no such file"
        if anchor and path.suffix == ".md":
            prose = CODE_BLOCK.sub("", path.read_text(encoding="utf-8"))
            anchors = {_slug(h) for h in HEADING.findall(prose)}
            assert anchor in anchors, f"{doc.name}: link to {target}: no heading #{anchor}"
