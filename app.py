"""Start the web UI: ``python app.py [--host H] [--port P] [--share] [--data-dir D]``.

Flags beat ASSISTANT_* environment variables. On first start (an empty store) the seed
articles in corpus/ are ingested.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Mapping
from pathlib import Path

from assistant import Assistant, Settings
from assistant.webui import build_ui, launch_options

CORPUS = Path(__file__).resolve().parent / "corpus"
log = logging.getLogger("app")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Chat with the news articles in the index.")
    parser.add_argument("--host", help="address to listen on (ASSISTANT_UI_HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (ASSISTANT_UI_PORT, default 7860)")
    parser.add_argument(
        "--share", action="store_true", help="also publish a temporary public gradio.live link"
    )
    parser.add_argument(
        "--data-dir", type=Path, help="where the index lives (ASSISTANT_DATA_DIR, default data/)"
    )
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> Settings:
    """The app's settings: its flags over the ASSISTANT_* environment (``env``, default os.environ)."""
    return Settings.from_env(env, ui_host=args.host, ui_port=args.port, data_dir=args.data_dir)


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    settings = settings_from(args)
    bot = Assistant.open(settings=settings)
    if not bot.documents():
        log.info("empty store in %s: ingesting %s", settings.data_dir, CORPUS)
        log.info("ingested: %s", bot.ingest(CORPUS).summary())
    demo = build_ui(bot, settings, bundled=CORPUS)
    demo.launch(share=args.share, **launch_options(settings))


if __name__ == "__main__":
    main()
