"""The compiled translations (.mo) come with the application however it is installed: create_app compiles any
catalogue whose .mo is missing or older than its .po (a fresh checkout, an upgrade), so a deployment that never
ran `make` still speaks Indonesian. Where the install directory is read-only, they are compiled under the
instance directory instead."""

import logging
import os
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask

SOURCE = Path(__file__).resolve().parent / "translations"
log = logging.getLogger(__name__)


def _stale(po: Path, mo: Path) -> bool:
    return not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime


def compile_catalogues(source: Path = SOURCE, target: Path | None = None) -> list[Path]:
    """Compile every stale catalogue of `source` into `target` (the same tree by default); return what was made."""
    made = []
    for po in sorted(source.glob("*/LC_MESSAGES/*.po")):
        mo = (target or source) / po.relative_to(source).with_suffix(".mo")
        if not _stale(po, mo):
            continue
        with po.open("rb") as file:
            catalogue = read_po(file, locale=po.parts[-3])
        mo.parent.mkdir(parents=True, exist_ok=True)
        partial = mo.with_name(f".{mo.name}.{os.getpid()}")  # two processes starting at once never see half a file
        with partial.open("wb") as file:
            write_mo(file, catalogue, use_fuzzy=True)
        partial.replace(mo)
        made.append(mo)
    return made


def init_app(app: Flask) -> None:
    try:
        made = compile_catalogues()
        directory = SOURCE
    except OSError:  # a read-only install: compile beside the instance's data
        directory = Path(app.instance_path) / "translations"
        made = compile_catalogues(SOURCE, directory)
    if made:
        log.info("Compiled translations: %s", ", ".join(str(p) for p in made))
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(directory)
