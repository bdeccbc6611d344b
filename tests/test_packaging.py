"""The wheel ships the grammar and the bundled law, and works when installed (not editable)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import EXAMPLES, ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(out), str(ROOT)], check=True)
    (found,) = out.glob("ordinance-*.whl")
    return found


def test_wheel_contains_grammar_and_bundled_law(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "ordinance/grammar/ordinance.lark" in names
    assert "ordinance/bundled/vocabulary.ord" in names
    assert "ordinance/bundled/us/ca/values-act.ord" in names
    assert "ordinance/outputs/templates/html/law.html" in names
    assert "ordinance/outputs/templates/markdown/place.md" in names
    assert "ordinance/py.typed" in names  # PEP 561: the API's type hints reach its users


def test_installed_package_finds_its_grammar(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True)
    script = (
        "import ordinance, ordinance.language.grammar as g, json, yaml, pathlib\n"
        "assert str(g.grammar_path()).startswith({!r}), g.grammar_path()\n"
        "laws = ordinance.load()\n"
        "assert str(laws.root).startswith({!r}), laws.root\n"
        "request = yaml.safe_load(open({!r}))\n"
        "print(laws.decide(request).outcome)\n"
        "import datetime\n"
        "from ordinance.outputs.docsite import SiteOptions, build_site\n"
        "build_site(laws, SiteOptions(out=pathlib.Path('site'), lang='es',"
        " as_of=datetime.date(2025, 1, 1)))\n"
        "assert pathlib.Path('site/index.html').read_text().count('lang=\"es\"')\n"
    ).format(str(target), str(target), str(EXAMPLES / "home-address-hold-request.yaml"))
    env = {**os.environ, "PYTHONPATH": str(target)}
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "prohibited"
