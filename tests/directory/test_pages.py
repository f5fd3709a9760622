"""The directory's pages: home, the agency list and detail, the API keys page."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from crimac.audit.models import AuditEvent, Outcome
from crimac.directory import actions
from crimac.directory.models import Agency, ApiKey, User

pytestmark = pytest.mark.django_db

ROW = re.compile(r'<tr><td><a href="/directory/agencies/([^/"]+)/">')
NAV = re.compile(r'<nav aria-label="main">(.*?)</nav>', re.S)
COUNT = re.compile(r"(\d+) agencies</p>")


def assert_nul_refused(response: Any) -> None:
    """PostgreSQL cannot store NUL in text: crimac.middleware refuses it up front with a 400 and
    an audit row, on every database."""
    assert response.status_code == 400
    assert "NUL" in response.content.decode()
    assert AuditEvent.objects.filter(action="request.rejected", outcome="denied").exists()


def text(response: Any) -> str:
    return response.content.decode()


def rows(response: Any) -> list[str]:
    return ROW.findall(text(response))


def shown_count(response: Any) -> int:
    match = COUNT.search(text(response))
    assert match is not None, "the page says how many agencies matched"
    return int(match.group(1))


def nav_labels(response: Any) -> list[str]:
    match = NAV.search(text(response))
    assert match is not None, "the page has the main navigation"
    return [unescape(label) for label in re.findall(r">([^<]+)</a>", match.group(1))]


# --- home -------------------------------------------------------------------------------------


def test_anonymous_home_redirects_to_login() -> None:
    response = Client().get("/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


@pytest.mark.parametrize(
    "path", ["/directory/agencies/", "/directory/agencies/DL-HQ/", "/directory/apikeys/"]
)
def test_anonymous_pages_redirect_to_login(path: str) -> None:
    response = Client().get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_home_shows_agency_role_and_navigation_of_an_officer(client_for: Any) -> None:
    response = client_for("dl.sho").get("/")

    assert response.status_code == 200
    body = text(response)
    station = Agency.objects.get(code="DL-NEWDELHI-PS-001")
    assert station.name in body
    assert "(DL-NEWDELHI-PS-001)" in body
    assert '<dd id="role">Officer</dd>' in body
    assert "Delhi SHO" in body  # the user's full name
    labels = nav_labels(response)
    assert labels[:1] == ["Home"]
    assert "Directory" in labels
    assert "API keys" not in labels
    assert "Administration" not in labels
    assert "/directory/apikeys/" not in body
    assert "/admin/" not in body


def test_home_navigation_of_a_nodal_officer(client_for: Any) -> None:
    response = client_for("dl.nodal").get("/")

    assert response.status_code == 200
    body = text(response)
    assert '<dd id="role">State nodal officer</dd>' in body
    assert "(DL-HQ)" in body
    labels = nav_labels(response)
    assert labels[:1] == ["Home"]
    assert {"Directory", "API keys", "Administration"} <= set(labels)
    assert 'href="/directory/apikeys/"' in body
    assert 'href="/admin/"' in body


def what_you_can_do(response: Any) -> list[str]:
    card = re.search(r"<h2>What you can do</h2>\s*<ul>(.*?)</ul>", text(response), re.S)
    assert card is not None
    return [unescape(item) for item in re.findall(r"<li>(.*?)</li>", card.group(1), re.S)]


def test_home_lists_what_the_role_may_do(client_for: Any) -> None:
    sho = what_you_can_do(client_for("dl.sho").get("/"))
    nodal = what_you_can_do(client_for("dl.nodal").get("/"))

    assert len(nodal) > len(sho) >= 3
    assert any(item.startswith("Read the directory of agencies ") for item in sho)
    assert not any("API keys" in item for item in sho)
    assert any(item.startswith("Create and revoke API keys ") and "(state)" in item for item in nodal)


def test_home_names_each_thing_the_user_can_do(client_for: Any) -> None:
    for username in ["dl.sho", "dl.nodal", "analyst", "admin"]:
        items = what_you_can_do(client_for(username).get("/"))
        assert items
        for item in items:
            name = item.split("<span", 1)[0].strip()
            assert name, f"an entry of {username}'s 'What you can do' has no name: {item!r}"
            assert "_" not in name, f"an internal name, not a label: {name!r}"


# --- agency list ------------------------------------------------------------------------------


def test_agency_list_paginates_by_fifty(client_for: Any) -> None:
    client = client_for("dl.sho")
    total = Agency.objects.count()
    assert total > 100, "the session directory is big enough to paginate"

    first = client.get("/directory/agencies/")
    second = client.get("/directory/agencies/?page=2")
    last_number = (total + 49) // 50
    last = client.get(f"/directory/agencies/?page={last_number}")

    assert first.status_code == second.status_code == last.status_code == 200
    assert shown_count(first) == total
    codes = list(Agency.objects.order_by("code").values_list("code", flat=True))
    assert rows(first) == codes[:50]
    assert rows(second) == codes[50:100]
    assert rows(last) == codes[(last_number - 1) * 50 :]
    assert f"Page 1 of {last_number}" in text(first)
    assert "page=2" in text(first)
    assert "Previous" not in text(first)
    assert "Next" not in text(last)


@pytest.mark.parametrize("page", ["abc", "0", "-1", "99999"])
def test_agency_list_tolerates_odd_page_numbers(client_for: Any, page: str) -> None:
    response = client_for("dl.sho").get(f"/directory/agencies/?page={page}")

    assert response.status_code == 200
    assert len(rows(response)) > 0


def test_agency_list_filters_by_state(client_for: Any) -> None:
    response = client_for("dl.sho").get("/directory/agencies/?state=dl")

    assert response.status_code == 200
    expected = Agency.objects.filter(state__code="DL").count()
    assert shown_count(response) == expected
    listed = rows(response)
    assert listed
    assert all(code.startswith("DL-") for code in listed)
    assert '<option value="DL" selected>' in text(response)


def test_agency_list_filters_by_state_and_kind(client_for: Any) -> None:
    response = client_for("dl.sho").get("/directory/agencies/?state=DL&kind=police_station")

    assert response.status_code == 200
    expected = list(
        Agency.objects.filter(state__code="DL", kind="police_station")
        .order_by("code")
        .values_list("code", flat=True)
    )
    assert 0 < len(expected) <= 50
    assert rows(response) == expected
    assert shown_count(response) == len(expected)


def test_agency_list_filters_by_words_in_name_or_code(client_for: Any) -> None:
    client = client_for("dl.sho")

    by_code = client.get("/directory/agencies/?q=newdelhi-ps")
    by_words = client.get("/directory/agencies/?q=kotwali+new+delhi")

    assert sorted(rows(by_code)) == sorted(
        Agency.objects.filter(code__icontains="NEWDELHI-PS").values_list("code", flat=True)
    )
    assert "DL-NEWDELHI-PS-001" in rows(by_code)
    words = rows(by_words)
    assert "DL-NEWDELHI-PS-001" in words
    for code in words:
        name = Agency.objects.get(code=code).name.lower()
        assert "kotwali" in name and "new" in name and "delhi" in name


def test_agency_list_with_no_match_is_an_empty_page_not_an_error(client_for: Any) -> None:
    response = client_for("dl.sho").get("/directory/agencies/?q=zzzz-no-such-agency")

    assert response.status_code == 200
    assert rows(response) == []
    assert shown_count(response) == 0


def test_agency_list_keeps_the_filters_in_the_pager(client_for: Any) -> None:
    # Every district has its stations, so "PS" in Uttar Pradesh spans several pages.
    response = client_for("dl.sho").get("/directory/agencies/?state=UP&q=ps")

    assert response.status_code == 200
    assert shown_count(response) > 50
    assert 'href="?q=ps&state=UP&kind=&page=2"' in unescape(text(response))


def test_unknown_state_code_is_a_400_with_a_clear_message(client_for: Any) -> None:
    response = client_for("dl.sho").get("/directory/agencies/?state=ZZ")

    assert response.status_code == 400
    body = unescape(text(response))
    assert "Unknown State/UT code 'ZZ'." in body
    assert rows(response) == []


def test_unknown_kind_is_a_400_with_a_clear_message(client_for: Any) -> None:
    response = client_for("dl.sho").get("/directory/agencies/?kind=spaceship")

    assert response.status_code == 400
    assert "Unknown agency kind 'spaceship'." in unescape(text(response))
    assert rows(response) == []


def test_filter_values_are_escaped(client_for: Any) -> None:
    response = client_for("dl.sho").get("/directory/agencies/", {"q": '"><script>alert(1)</script>'})

    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in text(response)


@pytest.mark.parametrize(
    "params",
    [
        {"q": "a\x00b"},
        {"state": "D\x00L"},
        {"kind": "police\x00station"},
    ],
)
def test_nul_characters_in_filters_are_not_a_500(client_for: Any, params: dict[str, str]) -> None:
    response = client_for("dl.sho").get("/directory/agencies/", params)

    assert_nul_refused(response)


def test_agency_list_query_count_does_not_grow_with_rows(
    client_for: Any, django_assert_max_num_queries: Any
) -> None:
    client = client_for("dl.sho")
    with CaptureQueriesContext(connection) as one_row:
        response = client.get("/directory/agencies/?q=DL-NEWDELHI-PS-001")
    assert rows(response) == ["DL-NEWDELHI-PS-001"]

    with django_assert_max_num_queries(len(one_row.captured_queries)):
        full = client.get("/directory/agencies/")
    assert len(rows(full)) == 50


# --- agency detail ----------------------------------------------------------------------------


def test_agency_detail_shows_the_chain_of_parents(client_for: Any) -> None:
    response = client_for("dl.sho").get("/directory/agencies/DL-NEWDELHI-PS-001/")

    assert response.status_code == 200
    body = text(response)
    chain = re.search(r"<dt>Reports to</dt><dd>(.*?)</dd>", body, re.S)
    assert chain is not None
    linked = re.findall(r'<a href="/directory/agencies/([^/"]+)/">', chain.group(1))
    station = Agency.objects.get(code="DL-NEWDELHI-PS-001")
    expected = [Agency.objects.get(pk=pk).code for pk in station.ancestor_ids()]
    assert linked == expected
    assert linked[-2:] == ["DL-HQ", "DL-NEWDELHI-DPO"]
    assert "DL-NEWDELHI-PS-001" not in linked
    assert "Police station" in body
    assert station.name in body


def test_agency_detail_of_a_top_level_agency(client_for: Any) -> None:
    response = client_for("dl.sho").get("/directory/agencies/MHA/")

    assert response.status_code == 200
    assert "nobody (top level)" in text(response)
    assert 'href="/directory/agencies/NCRB/"' in text(response)  # a unit reporting here


def test_agency_detail_lists_units_reporting_there(client_for: Any) -> None:
    response = client_for("dl.sho").get("/directory/agencies/DL-NEWDELHI-DPO/")

    assert response.status_code == 200
    body = text(response)
    assert "Units reporting here" in body
    for child in Agency.objects.filter(parent__code="DL-NEWDELHI-DPO"):
        assert f'href="/directory/agencies/{child.code}/"' in body


def test_agency_detail_accepts_lower_case_code(client_for: Any) -> None:
    assert client_for("dl.sho").get("/directory/agencies/dl-hq/").status_code == 200


def test_unknown_agency_is_a_404(client_for: Any) -> None:
    assert client_for("dl.sho").get("/directory/agencies/NOPE-XX/").status_code == 404


# --- API keys ---------------------------------------------------------------------------------


def new_key_of(response: Any) -> str:
    match = re.search(r'id="new-key-value">([^<]+)</p>', text(response))
    assert match is not None, "the new key is shown"
    return match.group(1)


def test_officer_may_not_open_api_keys(client_for: Any) -> None:
    client = client_for("dl.sho")
    keys = ApiKey.objects.count()

    get = client.get("/directory/apikeys/")
    post = client.post("/directory/apikeys/", {"agency": "DL-NEWDELHI-PS-001", "name": "x"})

    assert get.status_code == 403
    assert "Not allowed" in text(get)
    assert post.status_code == 403
    assert ApiKey.objects.count() == keys
    denied = AuditEvent.objects.filter(action="apikey.list", outcome=Outcome.DENIED, actor_name="dl.sho")
    assert denied.count() == 2


def test_nodal_officer_creates_a_key_shown_exactly_once(client_for: Any) -> None:
    client = client_for("dl.nodal")
    assert client.get("/directory/apikeys/").status_code == 200

    response = client.post("/directory/apikeys/", {"agency": "dl-hq", "name": "Delhi CCTNS"})

    assert response.status_code == 200
    raw = new_key_of(response)
    assert raw.startswith("cmk_")
    assert text(response).count(raw) == 1
    assert "it will not be shown again" in text(response)
    key = ApiKey.objects.get(name="Delhi CCTNS")
    assert key.agency.code == "DL-HQ"
    assert key.created_by == User.objects.get(username="dl.nodal")
    assert raw not in (key.key_hash, key.prefix)
    assert key.key_hash == actions.hash_key(raw)
    event = AuditEvent.objects.get(action="apikey.create", object_id=str(key.pk))
    assert event.actor_name == "dl.nodal"
    assert event.agency_code == "DL-HQ"

    again = client.get("/directory/apikeys/")
    assert again.status_code == 200
    assert raw not in text(again)
    assert raw.split("_", 2)[2] not in text(again)
    assert 'id="new-key-value"' not in text(again)
    assert key.prefix in text(again)  # listed by its public prefix only


def test_every_key_made_on_the_page_authenticates(client_for: Any) -> None:
    client = client_for("dl.nodal")
    refused = []
    # About half of all secrets hold a "_"; twenty keys make sure such keys work too.
    for n in range(20):
        raw = new_key_of(client.post("/directory/apikeys/", {"agency": "DL-HQ", "name": f"system {n}"}))
        try:
            account = actions.authenticate_api_key(raw)
        except actions.BadApiKey as exc:
            refused.append(f"{raw}: {exc}")
            continue
        assert account.agency.code == "DL-HQ"
        assert account.is_system
    assert refused == []


def test_key_for_an_agency_of_another_state_is_refused(client_for: Any) -> None:
    client = client_for("dl.nodal")
    keys = ApiKey.objects.count()
    created = AuditEvent.objects.filter(action="apikey.create").count()
    accounts = User.objects.filter(is_system=True).count()

    response = client.post("/directory/apikeys/", {"agency": "AS-HQ", "name": "Assam system"})

    assert response.status_code == 422
    body = unescape(text(response))
    assert 'class="errorlist"' in body
    assert "Unknown agency 'AS-HQ', or not one you manage." in body
    assert 'id="new-key-value"' not in body
    assert ApiKey.objects.count() == keys
    assert AuditEvent.objects.filter(action="apikey.create").count() == created
    assert User.objects.filter(is_system=True).count() == accounts


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "give the key a label"), ("   ", "give the key a label"), ("x" * 101, "at most 100 characters")],
)
def test_key_without_a_proper_label_is_refused(client_for: Any, name: str, message: str) -> None:
    keys = ApiKey.objects.count()

    response = client_for("dl.nodal").post("/directory/apikeys/", {"agency": "DL-HQ", "name": name})

    assert response.status_code == 422
    assert message in text(response)
    assert ApiKey.objects.count() == keys


def test_nul_in_api_key_agency_is_refused_not_a_500(client_for: Any) -> None:
    keys = ApiKey.objects.count()

    response = client_for("dl.nodal").post("/directory/apikeys/", {"agency": "DL-\x00HQ", "name": "x"})

    assert_nul_refused(response)
    assert ApiKey.objects.count() == keys


def test_nul_in_api_key_label_is_refused_not_a_500(client_for: Any) -> None:
    keys = ApiKey.objects.count()

    response = client_for("dl.nodal").post("/directory/apikeys/", {"agency": "DL-HQ", "name": "a\x00b"})

    assert_nul_refused(response)
    assert ApiKey.objects.count() == keys


def test_nodal_officer_revokes_a_key_from_the_page(client_for: Any) -> None:
    nodal = User.objects.get(username="dl.nodal")
    new = actions.create_api_key(Agency.objects.get(code="DL-CR"), "control room feed", actor=nodal)
    client = client_for(nodal)

    response = client.post("/directory/apikeys/", {"revoke": str(new.key.pk)})

    assert response.status_code == 302
    assert response["Location"] == "/directory/apikeys/"
    new.key.refresh_from_db()
    assert new.key.revoked_at is not None
    page = client.get("/directory/apikeys/")
    assert "Revoked control room feed." in text(page)
    assert "revoked " in text(page)
    event = AuditEvent.objects.get(action="apikey.revoke", object_id=str(new.key.pk))
    assert event.actor_name == "dl.nodal"
    assert event.outcome == Outcome.SUCCESS
    with pytest.raises(actions.BadApiKey):
        actions.authenticate_api_key(new.raw)


def test_nodal_officer_may_not_revoke_another_states_key(client_for: Any) -> None:
    new = actions.create_api_key(Agency.objects.get(code="AS-HQ"), "Assam system", actor=None)

    response = client_for("dl.nodal").post("/directory/apikeys/", {"revoke": str(new.key.pk)})

    assert response.status_code == 404
    new.key.refresh_from_db()
    assert new.key.revoked_at is None


@pytest.mark.parametrize("value", ["abc", "", "-1", "1e3"])
def test_revoke_with_a_bad_id_is_a_404(client_for: Any, value: str) -> None:
    assert client_for("dl.nodal").post("/directory/apikeys/", {"revoke": value}).status_code == 404


def test_nodal_officer_sees_only_own_state_keys(client_for: Any) -> None:
    actions.create_api_key(Agency.objects.get(code="AS-HQ"), "Assam only", actor=None)
    actions.create_api_key(Agency.objects.get(code="DL-HQ"), "Delhi only", actor=None)

    body = text(client_for("dl.nodal").get("/directory/apikeys/"))

    assert "Delhi only" in body
    assert "Assam only" not in body
