"""German is the default language: every message has a German translation with the same placeholders."""
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%")

pytestmark = pytest.mark.no_db


def test_catalogue_is_current_and_complete(tmp_path):
    pot = tmp_path / "messages.pot"
    # --ignore-dirs ".*": babel skips directories starting with "_" by default, i.e. templates/_macros (as the
    # Makefile does)
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "extract", "--no-location", "--ignore-dirs", ".*",
                    "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."],
                   cwd=ROOT, check=True, capture_output=True)
    source = {m.id for m in read_po(pot.open("rb")) if m.id}
    german = {m.id: m for m in read_po((ROOT / "translations/de/LC_MESSAGES/messages.po").open("rb")) if m.id}
    missing = sorted(source - german.keys())
    assert not missing, f"run `make translations` and translate: {missing[:5]}"
    untranslated = sorted(i for i in source if not german[i].string or german[i].fuzzy)
    assert not untranslated, f"German translation missing for: {untranslated[:5]}"
    for msgid in source:
        text = german[msgid].string
        singular = msgid if isinstance(msgid, str) else msgid[0]
        translated = text if isinstance(text, str) else text[0]
        assert sorted(PLACEHOLDER.findall(singular)) == sorted(PLACEHOLDER.findall(translated)), msgid
