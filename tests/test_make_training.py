"""`make train` retrains only when the training inputs changed in content (issue 11): a rebase
that merely gives the files new timestamps does not retrain. Played with the project's Makefile
in a scratch directory, with `rasa` replaced by `echo` so that nothing is really trained."""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT

INPUTS = ["config.yml", "domain.yml", "data/rules.yml", "data/stories.yml", "data/regions.yml",
          "data/nlu/policy.yml", "data/jieba/words.txt", "bot/nlu/guard.py", "bot/regions.py",
          "bot/numbers.py", "bot/text.py"]


def make_model(work: Path) -> bool:
    """Runs `make models/current.tar.gz`; True when it trained."""
    done = subprocess.run(["make", "-s", "models/current.tar.gz", "RASA=echo rasa"], cwd=work,
                          capture_output=True, text=True, check=True)
    return "rasa train" in done.stdout


def later(path: Path, seconds: float) -> None:
    stamp = time.time() + seconds
    os.utime(path, (stamp, stamp))


@pytest.mark.skipif(shutil.which("make") is None or shutil.which("sha256sum") is None,
                    reason="make and coreutils are needed")
def test_new_timestamps_do_not_retrain_but_new_content_does(tmp_path: Path) -> None:
    shutil.copy(PROJECT_ROOT / "Makefile", tmp_path / "Makefile")
    for name in ["requirements.lock", "pyproject.toml", *INPUTS]:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{name}\n", encoding="utf-8")
        later(path, -100)
    (tmp_path / "models").mkdir()  # rasa makes it when it trains
    venv = tmp_path / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("", encoding="utf-8")
    (venv / ".installed").write_text("", encoding="utf-8")
    later(venv / ".installed", -50)

    assert make_model(tmp_path)  # no model yet
    assert not make_model(tmp_path)  # nothing changed
    for name in INPUTS:  # what a rebase does: same bytes, new timestamps
        later(tmp_path / name, 5)
    assert not make_model(tmp_path)
    (tmp_path / "data/nlu/policy.yml").write_text("changed\n", encoding="utf-8")
    assert make_model(tmp_path)
    assert not make_model(tmp_path)
    (tmp_path / "models/current.tar.gz").unlink()
    assert make_model(tmp_path)  # a missing model is trained whatever the stamp says
