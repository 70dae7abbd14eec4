"""The Indonesian catalog is complete and in step with the code, and the screens speak it unless asked for English."""

import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask_babel import force_locale, get_babel

from tests.conftest import csrf_token_from

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "app" / "translations"
ID_PO = TRANSLATIONS / "id" / "LC_MESSAGES" / "messages.po"

# The same command as in babel.cfg's comment, so a string the code shows and the .po lacks fails here.
EXTRACT = ["extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--no-location", "--omit-header"]

# Every %-directive, %% included: Jinja's newstyle gettext always applies "%", so a stray one breaks a page.
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?[diouxXeEfFgGcrsa%]")


def _compile_if_stale(po_path: Path) -> None:
    """Write the .mo beside a .po when it is missing or older, like `make translations` does."""
    mo_path = po_path.with_suffix(".mo")
    if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
        return
    with po_path.open("rb") as f:
        catalog = read_po(f, locale=po_path.parent.parent.name)
    # Write to a temporary file and rename it, so a test running at the same time never reads half a catalog.
    fd, tmp = tempfile.mkstemp(dir=mo_path.parent, prefix=".messages-", suffix=".mo")
    try:
        with os.fdopen(fd, "wb") as f:
            write_mo(f, catalog, use_fuzzy=True)
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600
        os.replace(tmp, mo_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogs():
    for po_path in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")):
        _compile_if_stale(po_path)


@pytest.fixture(scope="module")
def catalog():
    with ID_PO.open("rb") as f:
        return read_po(f, locale="id")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    result = subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", *EXTRACT, "-o", str(pot), "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    with pot.open("rb") as f:
        return read_po(f)


def _as_tuple(value) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, list | tuple) else (value,)


def _placeholders(text: str) -> Counter:
    return Counter(PLACEHOLDER.findall(text))


def test_every_message_is_translated_and_none_is_fuzzy(catalog):
    assert not catalog.fuzzy, "the header of messages.po is marked fuzzy"
    untranslated = [m.id for m in catalog if m.id and not all(s.strip() for s in _as_tuple(m.string))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not untranslated and not fuzzy, (
        f"no Indonesian for: {untranslated}; fuzzy (a guess by pybabel update: check it, drop the flag): {fuzzy}"
    )


def test_translations_keep_the_placeholders(catalog):
    wrong = []
    for m in catalog:
        if not m.id:
            continue
        ids, strings = _as_tuple(m.id), _as_tuple(m.string)
        if len(ids) > 1:  # plural: each form says what msgid_plural says (Indonesian has one form)
            expected = set(_placeholders(ids[-1]))
            wrong += [(m.id, s) for s in strings if set(_placeholders(s)) != expected]
        elif _placeholders(ids[0]) != _placeholders(strings[0]):
            wrong.append((m.id, m.string))
    assert not wrong, f"placeholders differ from the msgid: {wrong}"


def test_every_string_in_the_code_is_in_the_catalog(catalog, extracted):
    known = {(m.id, m.context) for m in catalog if m.id}
    missing = [m.id for m in extracted if m.id and (m.id, m.context) not in known]
    assert not missing, (
        f"new strings without a translation: {missing}. Run pybabel extract (see babel.cfg), then "
        "`pybabel update -i app/translations/messages.pot -d app/translations` and translate them."
    )


def test_terms_name_every_code_in_both_languages(app):
    from app import models, terms
    from inventory import models as inventory_models
    from orders import models as orders_models

    codes = {
        "role": models.ROLES,
        "import_status": models.IMPORT_STATUSES,
        "adjustment_reason": inventory_models.ADJUSTMENT_REASONS,
        "move_reason": inventory_models.MOVE_REASONS,
        "unit": inventory_models.BASE_UNITS,
        "location_kind": inventory_models.LOCATION_KINDS,
        "payment_method": orders_models.PAYMENT_METHODS,
        "price_list": orders_models.PRICE_LISTS,
        "return_status": orders_models.RETURN_STATUSES,
    }
    for kind, expected in codes.items():
        assert set(terms.TERMS[kind]) == set(expected), kind
    with app.test_request_context():
        with force_locale("en"):
            assert terms.term("adjustment_reason", "count_correction") == "Count correction"
            assert terms.term("role", "warehouse") == "Warehouse clerk"
        with force_locale("id"):
            assert terms.term("adjustment_reason", "count_correction") == "Koreksi hitung"
            assert terms.term("role", "warehouse") == "Petugas gudang"
            assert terms.term("location_kind", "warehouse") == "Gudang"


@pytest.fixture
def fresh_translations(app):
    # Flask-Babel keeps loaded catalogs for the life of the app; an earlier test may have cached an empty one.
    get_babel(app).instance.domain_instance.cache.clear()


def test_screens_are_indonesian_until_english_is_chosen(client, fresh_translations, make_user):
    make_user("cashier")  # an installation with a user: /login is the sign-in form, not the set-up
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="id" ' in page
    assert "Masuk" in page and "Sign in" not in page

    response = client.post("/language/en", data={"csrf_token": csrf_token_from(page), "next": "/login"})
    assert response.status_code == 302

    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en" ' in page
    assert "Sign in" in page and "Masuk" not in page


def test_a_role_kept_as_a_code_is_shown_in_indonesian(client, login, fresh_translations):
    login("warehouse")
    page = client.get("/").get_data(as_text=True)
    assert "Petugas gudang" in page
