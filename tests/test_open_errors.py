"""`Assistant.open` with an unusable argument raises our own errors, naming the argument and
what to do, never a bare FileExistsError or TypeError (issue 26)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import Assistant
from assistant.errors import ConfigError, DataDirError, InvalidArgumentError, UserInputError


def test_open_on_a_file_raises_data_dir_error(tmp_path: Path) -> None:
    """A file given as the data dir is a DataDirError (a UserInputError) naming the path and
    the three ways to set the data dir, not a FileExistsError; nothing is created beside it."""
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder", encoding="utf-8")
    with pytest.raises(DataDirError, match="is a file, not a folder") as caught:
        Assistant.open(str(a_file), embedder="hash:64")
    assert isinstance(caught.value, UserInputError)
    assert str(a_file) in str(caught.value) and "ASSISTANT_DATA_DIR" in str(caught.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_open_under_a_file_raises_data_dir_error(tmp_path: Path) -> None:
    """A data dir that cannot be created (its parent is a file) is a DataDirError naming it."""
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder", encoding="utf-8")
    with pytest.raises(DataDirError, match="cannot create the data dir"):
        Assistant.open(a_file / "data", embedder="hash:64")


@pytest.mark.parametrize("bad", [42, 3.5, b"data", ["data"]])
def test_open_with_a_data_dir_of_the_wrong_type(bad: object) -> None:
    """`Assistant.open(42)` raises InvalidArgumentError naming data_dir and its type."""
    with pytest.raises(InvalidArgumentError, match=rf"data_dir must be a folder path .*{type(bad).__name__}"):
        Assistant.open(bad)  # type: ignore[arg-type]


def test_open_with_settings_of_the_wrong_type(tmp_path: Path) -> None:
    """`Assistant.open(settings=...)` with something that is not Settings raises InvalidArgumentError."""
    with pytest.raises(InvalidArgumentError, match=r"settings must be an assistant\.Settings"):
        Assistant.open(tmp_path, settings={"top_k": 3})  # type: ignore[arg-type]


def test_open_with_an_unknown_setting(tmp_path: Path) -> None:
    """An unknown keyword override is a ConfigError naming it and listing the settings."""
    with pytest.raises(ConfigError, match=r"unknown setting 'top_kk'.*top_k"):
        Assistant.open(tmp_path, top_kk=3)
