"""LLM answers through any OpenAI-compatible chat endpoint, every citation verified.

One code path: the ``openai`` client pointed at ``base_url`` (OpenAI, vLLM, Ollama, a
llama.cpp server, or the one ``assistant.llama_server`` starts for a GGUF file). The model
gets the retrieved sentences numbered ([1] ...) inside a data block, within a token budget
counted with tiktoken (the lowest ranked sentences are dropped first, never cut); it streams
its reply; ``assistant.verify`` then checks every sentence against what it cites. What the
user sees is the model's answer with unsupported sentences flagged, or, when no claim holds
(or the endpoint failed), the offline extractive answer or a refusal. Endpoint faults never
escape as stack traces: they become the fallback with the reason in ``Verification.error``.

Errors::

    BackendError
    └── LLMError            the endpoint failed; ``kind`` says how
        (kinds: "auth", "rate_limit", "timeout", "unavailable", "server", "bad_request",
        "malformed", "empty")
"""

from __future__ import annotations

import contextlib
import logging
import re
import string
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from .answer import looks_like_instruction, supports
from .config import Settings
from .errors import ConfigError, LLMError
from .protocols import Answerer, CorpusView, Embedder
from .question import Question, analyze
from .reader import ReaderModel
from .tokens import count_tokens
from .types import Draft, ScoredSentence, Turn, Verification
from .verify import Verifier

# Inside the package, so a plain `pip install` can answer with an LLM; the repo's prompts/
# is a link to this folder.
PROMPTS_DIR = Path(__file__).resolve().parent / "prompts"
# Tokens kept free besides the reply: chat-template overhead and the model's tokenizer
# counting differently from cl100k.
SAFETY_TOKENS = 64
SAFETY_SHARE = 0.15
MAX_BACKOFF_S = 8.0
T = TypeVar("T")
log = logging.getLogger(__name__)


# Prompts --------------------------------------------------------------------------------


def load_prompt(name: str, directory: Path | None = None) -> string.Template:
    """``prompts/<name>.txt`` as a template; edit the file to change the prompt."""
    path = (directory or PROMPTS_DIR) / f"{name}.txt"
    try:
        return string.Template(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(
            f"prompt file {path} cannot be read ({exc.strerror}); restore it from the repo"
        ) from None


def render(name: str, directory: Path | None = None, **values: str) -> str:
    """Render a prompt strictly: a variable the file uses but we do not pass is an error."""
    try:
        return load_prompt(name, directory).substitute(**values).strip()
    except KeyError as exc:
        raise ConfigError(f"prompt {name!r} uses ${exc.args[0]}, which is not provided") from None
    except ValueError as exc:
        raise ConfigError(f"prompt {name!r} is malformed: {exc} (write a literal $ as $$)") from None


def quote_source(text: str) -> str:
    """A document sentence as inert data on one line: it cannot close the sources block."""
    return " ".join(text.replace("<<<", "‹‹‹").replace(">>>", "›››").split())


def number_sources(passages: Sequence[ScoredSentence]) -> str:
    return "\n".join(f"[{i}] {quote_source(p.sentence.text)}" for i, p in enumerate(passages, start=1))


def fit_sources(
    passages: Sequence[ScoredSentence], budget: int, count: Callable[[str], int] = count_tokens
) -> list[ScoredSentence]:
    """The best-ranked passages whose numbered lines fit ``budget`` tokens, whole sentences only.

    Passages come best first; the lowest ranked are the ones dropped.
    """
    kept: list[ScoredSentence] = []
    used = 0
    for passage in passages:
        cost = count(f"[{len(kept) + 1}] {quote_source(passage.sentence.text)}\n")
        if used + cost > budget:
            break
        kept.append(passage)
        used += cost
    return kept


# The endpoint ---------------------------------------------------------------------------


class ChatClient:
    """Chat completions over the ``openai`` client, with timeouts, retries on 429 and clear errors."""

    def __init__(
        self,
        base_url: str | None,
        api_key: str | None,
        model: str,
        timeout: float = 60.0,
        total_timeout: float = 180.0,
        max_retries: int = 2,
    ) -> None:
        import openai

        if not api_key and not base_url:
            raise ConfigError(
                "the LLM backend needs an endpoint: set OPENAI_API_KEY for OpenAI, or OPENAI_BASE_URL "
                "(--base-url) for an OpenAI-compatible server, or ASSISTANT_LLM_GGUF (--gguf) "
                "for a local model"
            )
        self.model = model
        self.base_url = base_url
        self.timeout = timeout
        self.total_timeout = total_timeout
        self.max_retries = max_retries
        self._client = openai.OpenAI(
            # A local server needs no real key; any placeholder works.
            api_key=api_key or "not-needed",
            base_url=base_url,
            # openai's own Timeout: the HTTP library under it changed (httpx, then httpx2),
            # and from httpx2 2.17 a Timeout of the other library is refused.
            timeout=openai.Timeout(timeout, connect=min(timeout, 10.0)),
            max_retries=0,  # retries are ours: 429 and refused connections only, with backoff
        )

    def complete(self, messages: list[dict[str, str]], max_tokens: int, temperature: float = 0.0) -> str:
        """The whole reply at once (used for condensing questions)."""
        return "".join(self.stream(messages, max_tokens, temperature))

    def stream(
        self, messages: list[dict[str, str]], max_tokens: int, temperature: float = 0.0
    ) -> Iterator[str]:
        """Text deltas of the reply. Raises LLMError; never blocks past ``total_timeout``."""
        import httpx
        import openai

        deadline = time.monotonic() + self.total_timeout
        response = self._retrying(
            lambda: self._client.chat.completions.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]
                max_tokens=max_tokens,
                temperature=temperature,
                stream=True,
            ),
            deadline,
        )
        # A server can keep a stream alive forever (pings, one token a minute): close it at
        # the deadline from a timer, which makes the reading loop fail at once.
        expired = threading.Event()
        overdue = f"the model's reply took longer than {self.total_timeout:.0f}s; gave up"

        def expire() -> None:
            expired.set()
            response.close()

        timer = threading.Timer(max(0.0, deadline - time.monotonic()), expire)
        timer.daemon = True
        timer.start()
        produced = False
        try:
            for chunk in response:
                choices = getattr(chunk, "choices", None)
                if not choices:
                    continue
                delta = getattr(choices[0], "delta", None)
                text = getattr(delta, "content", None) if delta is not None else None
                if text:
                    produced = True
                    yield text
        except (httpx.TimeoutException, openai.APITimeoutError):
            raise LLMError("timeout", f"the model stopped sending for {self.timeout:.0f}s; gave up") from None
        except (httpx.HTTPError, openai.OpenAIError, ValueError, AttributeError, TypeError) as exc:
            if expired.is_set():
                raise LLMError("timeout", overdue) from None
            # openai 3 reads streams with httpx2 and wraps a lost connection; older versions raised httpx's.
            if isinstance(exc, httpx.TransportError | openai.APIConnectionError):
                raise LLMError("unavailable", "the connection to the LLM endpoint broke mid-reply") from None
            raise LLMError(
                "malformed", f"the endpoint sent a malformed reply ({type(exc).__name__})"
            ) from None
        finally:
            timer.cancel()
            response.close()
        if expired.is_set():
            raise LLMError("timeout", overdue)
        if not produced:
            kind = str(getattr(getattr(response, "response", None), "headers", {}).get("content-type", ""))
            if kind and "event-stream" not in kind:
                shown = kind.split(";")[0]
                raise LLMError("malformed", f"the endpoint sent a malformed reply ({shown}, not a stream)")
            raise LLMError("empty", "the model sent an empty reply")

    def _retrying(self, call: Callable[[], T], deadline: float) -> T:
        import openai

        attempt = 0
        while True:
            try:
                return call()
            except openai.RateLimitError as exc:
                if attempt >= self.max_retries:
                    raise LLMError(
                        "rate_limit",
                        f"the endpoint is rate limiting us (429) after {attempt} retries; try later",
                    ) from None
                delay = _retry_after(exc.response) or 0.5 * 2**attempt
            except openai.APITimeoutError:
                raise LLMError("timeout", f"no reply from the model within {self.timeout:.0f}s") from None
            except openai.APIConnectionError:
                if attempt >= self.max_retries:
                    raise LLMError(
                        "unavailable", f"cannot reach the LLM endpoint at {self.base_url or 'OpenAI'}"
                    ) from None
                delay = 0.5 * 2**attempt
            except openai.AuthenticationError:
                raise LLMError(
                    "auth", "the LLM endpoint rejected the API key (401): check OPENAI_API_KEY"
                ) from None
            except openai.PermissionDeniedError:
                raise LLMError(
                    "auth", "the LLM endpoint denied access (403): check the key and model"
                ) from None
            except openai.NotFoundError:
                raise LLMError(
                    "bad_request", f"the endpoint has no model {self.model!r} or no chat API (404)"
                ) from None
            except openai.BadRequestError as exc:
                raise LLMError(
                    "bad_request", f"the endpoint refused the request (400): {_reason(exc)}"
                ) from None
            except openai.InternalServerError as exc:
                raise LLMError("server", f"the LLM endpoint failed ({exc.status_code})") from None
            except openai.APIStatusError as exc:
                raise LLMError("server", f"the LLM endpoint answered {exc.status_code}") from None
            except (openai.OpenAIError, ValueError) as exc:
                raise LLMError(
                    "malformed", f"the endpoint sent a malformed reply ({type(exc).__name__})"
                ) from None
            delay = min(delay, MAX_BACKOFF_S, max(0.0, deadline - time.monotonic()))
            if delay <= 0:
                raise LLMError("timeout", f"no reply from the model within {self.total_timeout:.0f}s")
            time.sleep(delay)
            attempt += 1

    def close(self) -> None:
        self._client.close()


def _retry_after(response: Any) -> float | None:
    try:
        return max(0.0, float(response.headers.get("retry-after")))
    except (AttributeError, TypeError, ValueError):
        return None


def _reason(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        message = body.get("message") or (body.get("error") or {}).get("message")
        if message:
            return str(message)[:200]
    return "no reason given"


# The answerer ---------------------------------------------------------------------------


@dataclass
class LLMAnswerer:
    """Writes answers with an OpenAI-compatible model; shows only what the verifier lets through.

    ``stream`` yields the model's text deltas, then one final ``Draft`` (the answer to
    show, its citations and the verification record).
    """

    client: ChatClient
    fallback: Answerer
    verifier: Verifier
    settings: Settings
    prompts_dir: Path | None = None
    on_close: list[Callable[[], None]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"openai:{self.client.model}"

    @classmethod
    def from_settings(
        cls, settings: Settings, embedder: Embedder, fallback: Answerer, reader: ReaderModel | None = None
    ) -> LLMAnswerer:
        """``reader`` (the offline answerer's) tells the verifier what a cited sentence answers."""
        base_url = settings.openai_base_url
        on_close: list[Callable[[], None]] = []
        if settings.llm_gguf is not None and not base_url:
            from .llama_server import LlamaServer

            server = LlamaServer(
                settings.llm_gguf, threads=settings.llm_threads, context=settings.llm_context_tokens
            )
            base_url = server.start()
            on_close.append(server.stop)
        model = settings.llm_model or (settings.llm_gguf.stem if settings.llm_gguf else "gpt-4o-mini")
        client = ChatClient(
            base_url,
            settings.openai_api_key,
            model,
            timeout=settings.llm_timeout,
            total_timeout=settings.llm_total_timeout,
            max_retries=settings.llm_max_retries,
        )
        on_close.insert(0, client.close)
        verifier = Verifier(embedder, settings.verify_threshold, reader)
        return cls(client, fallback, verifier, settings, prompts_dir=settings.prompts_dir, on_close=on_close)

    # Follow-ups -------------------------------------------------------------------------

    def condense(self, question: str, history: Sequence[Turn]) -> str:
        """A standalone question for a follow-up. Raises LLMError; the caller falls back to rules."""
        lines = "\n".join(f"User: {t.question}\nAssistant: {t.answer}" for t in history[-3:])
        prompt = render("condense", self.prompts_dir, history=lines, question=question)
        reply = self.client.complete([{"role": "user", "content": prompt}], max_tokens=60)
        standalone = " ".join(reply.strip().strip('"“”').split())
        standalone = re.sub(r"^(?:standalone question|question)\s*:\s*", "", standalone, flags=re.I)
        standalone = standalone.split("?")[0].strip() + "?" if "?" in standalone else standalone
        if not 3 <= len(standalone) <= 2 * len(question) + 200 or "\n" in standalone:
            raise LLMError("malformed", "the model's standalone question is unusable")
        if not keeps_the_question(question, standalone):
            raise LLMError("malformed", f"the model's rewrite {standalone!r} changes the question")
        return standalone

    # Answers ----------------------------------------------------------------------------

    def answer(self, question: Question, passages: Sequence[ScoredSentence], corpus: CorpusView) -> Draft:
        final: Draft | None = None
        for item in self.stream(question, passages, corpus):
            if isinstance(item, Draft):
                final = item
        assert final is not None
        return final

    def messages(
        self, question: Question, passages: Sequence[ScoredSentence]
    ) -> tuple[list[dict[str, str]], list[ScoredSentence]]:
        """The chat messages for ``question`` and the sources they number, within the token budget."""
        offered = [p for p in passages if not looks_like_instruction(p.sentence.text)][
            : self.settings.llm_sources
        ]
        system = render("system", self.prompts_dir)
        empty = render("answer", self.prompts_dir, sources="", question=question.text)
        window = self.settings.llm_context_tokens
        overhead = count_tokens(system) + count_tokens(empty) + self.settings.llm_max_tokens + SAFETY_TOKENS
        budget = int((window - overhead) * (1 - SAFETY_SHARE))
        sources = fit_sources(offered, budget)
        user = render("answer", self.prompts_dir, sources=number_sources(sources), question=question.text)
        return [{"role": "system", "content": system}, {"role": "user", "content": user}], sources

    def stream(
        self, question: Question, passages: Sequence[ScoredSentence], corpus: CorpusView
    ) -> Iterator[str | Draft]:
        messages, sources = self.messages(question, passages)
        if not sources:
            yield self._fallback(question, passages, corpus, "no source fits the model's context", reply="")
            return
        parts: list[str] = []
        try:
            for delta in self.client.stream(
                messages, self.settings.llm_max_tokens, self.settings.llm_temperature
            ):
                parts.append(delta)
                yield delta
        except LLMError as exc:
            yield self._fallback(
                question, passages, corpus, f"the model failed: {exc}", reply="".join(parts), error=str(exc)
            )
            return
        reply = "".join(parts)
        if _foreign(reply):
            yield self._fallback(question, passages, corpus, "the reply is not in English", reply=reply)
            return
        documents = {
            doc_id: " ".join(s.text for s in corpus.document_sentences(doc_id))
            for doc_id in {p.sentence.doc_id for p in sources}
        }
        covers = [supports(question, p, corpus) for p in sources]
        try:
            checked = self.verifier.verify(question, reply, sources, documents, covers)
        except Exception:  # a reply we cannot parse must never reach the user unchecked
            log.exception("verifying the model's reply failed")
            yield self._fallback(question, passages, corpus, "the reply could not be verified", reply=reply)
            return
        if not checked.answers_question:
            reason = "the model says the sources do not answer" if checked.refuses else checked.why_not
            yield self._fallback(question, passages, corpus, reason, reply=reply, checked=checked)
            return
        flagged = [c for c in checked.claims if not c.supported]
        verification = Verification(
            checked=len(checked.claims),
            supported=len(checked.supported),
            claims=checked.claims,
            dropped_markers=checked.dropped_markers,
            draft=reply,
            threshold=self.verifier.threshold,
        )
        notes = [f"verified {len(checked.supported)} of {len(checked.claims)} claims"]
        if flagged:
            notes.append(f"{len(flagged)} unsupported sentence(s) flagged")
        if checked.recited:
            notes.append(f"{checked.recited} sentence(s) re-cited to the source that supports them")
        if checked.dropped_markers:
            notes.append(f"dropped markers pointing nowhere: {list(checked.dropped_markers)}")
        yield Draft(
            text=checked.text,
            short=checked.supported_text() or None,
            citations=checked.citations,
            refused=False,
            notes=tuple(notes),
            verification=verification,
        )

    def _fallback(
        self,
        question: Question,
        passages: Sequence[ScoredSentence],
        corpus: CorpusView,
        reason: str,
        reply: str,
        checked: Any = None,
        error: str | None = None,
    ) -> Draft:
        draft = self.fallback.answer(question, passages, corpus)
        kind = "refusal" if draft.refused else "extractive"
        verification = Verification(
            checked=len(checked.claims) if checked else 0,
            supported=len(checked.supported) if checked else 0,
            claims=checked.claims if checked else (),
            dropped_markers=checked.dropped_markers if checked else (),
            fallback=kind,
            reason=reason,
            draft=reply,
            threshold=self.verifier.threshold,
            error=error,
        )
        note = f"LLM answer replaced by the {'refusal' if draft.refused else 'offline answer'}: {reason}"
        return Draft(
            text=draft.text,
            short=draft.short,
            citations=draft.citations,
            refused=draft.refused,
            notes=(*draft.notes, note),
            verification=verification,
        )

    def close(self) -> None:
        for close in self.on_close:
            with contextlib.suppress(Exception):  # closing must not fail the caller
                close()
        self.on_close.clear()


def keeps_the_question(question: str, rewrite: str) -> bool:
    """A rewrite of a follow-up keeps its question word and all its content words, and adds some.

    Small models "condense" by answering, or by asking the previous question again; neither
    may replace what the user asked.
    """
    asked, rewritten = analyze(question), analyze(rewrite)
    if asked.wh and asked.wh.split()[0] not in rewrite.lower():
        return False
    return set(asked.terms) <= set(rewritten.terms) and bool(set(rewritten.terms) - set(asked.terms))


def _foreign(reply: str) -> bool:
    """Mostly letters outside the Latin alphabet: the model answered in another language."""
    letters = [c for c in reply if c.isalpha()]
    return len(letters) >= 20 and sum(c.isascii() for c in letters) / len(letters) < 0.6
