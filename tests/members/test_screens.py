"""The members screens, driven through the test client as a browser would."""

import io
import re

from sqlalchemy import select

from app import settings
from members.models import Member
from tests.conftest import csrf_token_from
from tests.members.conftest import fake_nik


def _form(client, path: str) -> dict:
    page = client.get(path).get_data(as_text=True)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    return {"csrf_token": csrf_token_from(page), "idempotency_key": key}


FIELDS = {
    "full_name": "Siti Aminah",
    "nik": fake_nik(1, female=True),
    "kk_number": "6499990101250001",
    "address": "Jl. Contoh",
    "rt": "4",
    "rw": "2",
    "kelurahan": "Gunung Sari Ilir",
    "category": "household",
    "nib": "",
    "join_date": "2026-01-05",
    "phone": "",
}


def test_register_shows_the_nik_message_then_saves(client, login, session):
    login("manager")
    refused = client.post("/members/new", data={**_form(client, "/members/new"), **FIELDS, "nik": "6499991213850001"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert re.search(r'id="error-nik">[^<]+</span>', page)
    assert session.scalar(select(Member.id)) is None

    saved = client.post("/members/new", data={**_form(client, "/members/new"), **FIELDS})
    member = session.scalar(select(Member))
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"/members/{member.id}")
    assert (member.nik, member.rt) == (fake_nik(1, female=True), "004")


def test_member_page_status_buttons_and_card(client, login, session, make_member):
    login("manager")
    member = make_member(1)
    page = client.get(f"/members/{member.id}").get_data(as_text=True)
    assert 'id="status-suspended"' in page and 'id="status-left"' in page and 'id="status-active"' not in page
    done = client.post(
        f"/members/{member.id}", data={**_form(client, f"/members/{member.id}"), "action": "status", "status": "left"}
    )
    session.refresh(member)
    assert done.status_code == 302 and member.status == "left"

    settings.update({"cooperative_name": "KKMP Balikpapan Tengah"})  # the card prints the cooperative's name
    card = client.get(f"/members/{member.id}/card").get_data(as_text=True)
    assert "KKMP Balikpapan Tengah" in card and "KKMP-000001" in card and "Anggota Uji 1" in card
    assert f'src="/members/{member.id}/barcode.svg"' in card
    svg = client.get(f"/members/{member.id}/barcode.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert b"<svg" in svg.data and b"<rect" in svg.data and b"KKMP-000001" in svg.data


def test_a_scanned_number_opens_the_member_and_a_name_lists_matches(client, login, make_member):
    login("cashier")
    member = make_member(1)
    make_member(2)
    opened = client.get("/members", query_string={"q": " KKMP-000001\n"})
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/members/{member.id}")
    listed = client.get("/members", query_string={"q": "Anggota Uji"}).get_data(as_text=True)
    assert "KKMP-000001" in listed and "KKMP-000002" in listed
    assert 'id="register-link"' not in listed  # a cashier looks up, does not register
    assert client.get("/members/new").status_code == 403
    assert 'id="print-card"' not in client.get(f"/members/{member.id}").get_data(as_text=True)


def test_the_warehouse_is_refused(client, login):
    login("warehouse")
    assert client.get("/members").status_code == 403


def test_import_screen_lists_the_bad_rows(client, login, session):
    login("manager")
    header = "full_name,nik,kk_number,rt,rw,kelurahan,category\n"
    bad = header + f"A,{fake_nik(1)},6499990101250001,1,1,X,household\nB,123,6499990101250001,1,1,X,farmer\n"
    response = client.post(
        "/members/import",
        data={**_form(client, "/members/import"), "file": (io.BytesIO(bad.encode()), "m.csv")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.findall(r"<tr><td class=\"num\">(\d+)</td><td>(\w+)</td>", page) == [("3", "nik")]
    assert session.scalar(select(Member.id)) is None

    good = header + f"A,{fake_nik(1)},6499990101250001,1,1,X,household\n"
    response = client.post(
        "/members/import",
        data={**_form(client, "/members/import"), "file": (io.BytesIO(good.encode()), "m.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    export = client.get("/members/export.csv")
    assert export.mimetype == "text/csv" and export.get_data(as_text=True).splitlines()[1].startswith("KKMP-000001,A,")


def test_screens_render_with_the_demo(client, login, demo):
    login("manager")
    member = demo.scalar(select(Member).where(Member.status == "suspended"))
    for path in ["/members", "/members/new", f"/members/{member.id}", f"/members/{member.id}/card", "/members/import"]:
        response = client.get(path)
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:1500])
    assert demo.scalar(select(Member).where(Member.category == "micro_business")).nib == "9120001234567"


def test_the_member_screen_masks_the_nik_for_a_cashier(client, login, demo):
    from sqlalchemy import select

    from members.models import Member

    siti = demo.scalar(select(Member).where(Member.member_number == "KKMP-000001"))
    login("cashier")
    page = client.get(f"/members/{siti.id}").get_data(as_text=True)
    assert siti.nik not in page and siti.kk_number not in page
    assert f'<td id="member-nik">{siti.nik[:4]}********{siti.nik[-4:]}</td>' in page
