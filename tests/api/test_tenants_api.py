"""Tenants, API keys and the platform edge, through the Chalice test client."""

from __future__ import annotations

import json

import pytest

from tests.api.conftest import tenant_body
from tests.conftest import ADMIN


def body_of(answer):
    return json.loads(answer.body)


def assert_problem(answer, status, code, fields=()):
    assert answer.status_code == status, answer.body
    assert answer.headers["Content-Type"] == "application/problem+json"
    problem = body_of(answer)
    assert problem["code"] == code and problem["status"] == status
    assert {"type", "title", "detail", "errors"} <= problem.keys()
    named = {e["field"] for e in problem["errors"]}
    assert set(fields) <= named, named
    return problem


def test_creating_a_tenant_returns_its_key_once_and_default_settings(http, tenant):
    assert tenant["id"].startswith("ten_") and tenant["api_key"].startswith("rtg_test_")
    assert tenant["settings"]["collections"]["pix_key"] == tenant["cnpj"]
    fetched = body_of(http.request("GET", f"/v1/tenants/{tenant['id']}", headers=ADMIN))
    assert "api_key" not in fetched and fetched["cnpj"] == "11222333000181"


def test_every_bad_field_of_a_tenant_is_named(http):
    bad = tenant_body(cnpj="11222333000180", email="nope", tax_regime="lucro", extra="x")
    bad["address"] = {**bad["address"], "zip": "123", "state": "ZZ"}
    problem = assert_problem(http.request("POST", "/v1/tenants", bad, ADMIN), 400, "invalid_request",
                             ["cnpj", "email", "tax_regime", "extra", "address.zip", "address.state"])
    assert "Traceback" not in json.dumps(problem)
    assert body_of(http.request("GET", "/v1/tenants", headers=ADMIN))["data"] == []


@pytest.mark.parametrize(("raw", "content_type", "status", "code"), [
    (b"{not json", "application/json", 400, "invalid_request"),
    (b"[1, 2]", "application/json", 400, "invalid_request"),
    (b"\xff\xfe", "application/json", 400, "invalid_request"),
    (b"name=x", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    (b'{"name": "' + b"x" * 1_100_000 + b'"}', "application/json", 413, "payload_too_large"),
])
def test_malformed_bodies_get_problem_json_and_write_nothing(http, raw, content_type, status, code):
    answer = http.request("POST", "/v1/tenants", raw=raw, headers={**ADMIN, "Content-Type": content_type})
    assert_problem(answer, status, code)
    assert body_of(http.request("GET", "/v1/tenants", headers=ADMIN))["data"] == []


def test_a_second_tenant_with_the_same_cnpj_is_a_conflict(http, tenant):
    assert_problem(http.request("POST", "/v1/tenants", tenant_body(), ADMIN), 409, "conflict")


@pytest.mark.parametrize("header", [None, "Bearer", "Basic abc", "Bearer rtg_test_unknown", "Bearer wrong-admin"])
def test_missing_malformed_or_unknown_keys_are_401(http, header):
    headers = {"Authorization": header} if header else {}
    assert_problem(http.request("GET", "/v1/tenant", headers=headers), 401, "unauthenticated")


def test_admin_and_tenant_keys_each_stay_on_their_side(http, tenant):
    assert_problem(http.request("GET", "/v1/tenants", headers=tenant["headers"]), 403, "forbidden")
    assert_problem(http.request("GET", "/v1/tenant", headers=ADMIN), 403, "forbidden")


def test_unknown_routes_are_404_and_wrong_methods_405(http, tenant):
    assert_problem(http.request("GET", "/v1/nothing-here", headers=tenant["headers"]), 404, "not_found")
    assert_problem(http.request("PUT", "/v1/tenant", {}, tenant["headers"]), 405, "method_not_allowed")


def test_a_missing_or_malformed_tenant_id_is_404(http):
    assert_problem(http.request("GET", "/v1/tenants/ten_01ARZ3NDEKTSV4RRFFQ69G5FAV", headers=ADMIN), 404, "not_found")
    assert_problem(http.request("GET", "/v1/tenants/whatever", headers=ADMIN), 404, "not_found")


def test_settings_patch_merges_and_validates_the_whole(http, tenant):
    patch = {"collections": {"fine_percent": 1.5, "pix_key": "pix@loja.example.com"}, "invoicing": {"series": 2}}
    answer = http.request("PATCH", "/v1/tenant/settings", patch, tenant["headers"])
    assert answer.status_code == 200, answer.body
    settings = body_of(answer)["settings"]
    assert settings["collections"]["fine_percent"] == 1.5
    assert settings["collections"]["bank_code"] == "001"
    assert settings["invoicing"] == {**tenant["settings"]["invoicing"], "series": 2}
    again = body_of(http.request("GET", "/v1/tenant", headers=tenant["headers"]))["settings"]
    assert again == settings


def test_bad_settings_name_their_field_and_change_nothing(http, tenant):
    bad = {"collections": {"fine_percent": 150, "bank_code": "12"}, "invoicing": {"enabled": None}, "color": "red"}
    assert_problem(http.request("PATCH", "/v1/tenant/settings", bad, tenant["headers"]), 400, "invalid_request",
                   ["collections.fine_percent", "collections.bank_code", "color"])
    nulls = {"invoicing": {"enabled": None}}
    assert_problem(http.request("PATCH", "/v1/tenant/settings", nulls, tenant["headers"]), 400, "invalid_request",
                   ["invoicing.enabled"])
    assert body_of(http.request("GET", "/v1/tenant", headers=tenant["headers"]))["settings"] == tenant["settings"]


def test_an_api_key_secret_is_shown_once_and_never_listed(http, tenant):
    created = http.request("POST", "/v1/api-keys", {"name": "ERP", "scopes": ["orders:write"]}, tenant["headers"])
    assert created.status_code == 201, created.body
    key = body_of(created)
    assert key["key"].startswith(key["prefix"]) and key["scopes"] == ["orders:write"]
    listed = http.request("GET", "/v1/api-keys", headers=tenant["headers"])
    assert key["key"].encode() not in listed.body
    assert {k["id"] for k in body_of(listed)["data"]} == {key["id"], tenant["api_key_id"]}


def test_a_restricted_key_lacks_other_scopes_and_cannot_mint_stronger_keys(http, tenant):
    key = body_of(http.request("POST", "/v1/api-keys", {"name": "ops", "scopes": ["settings:write"]},
                               tenant["headers"]))["key"]
    restricted = {"Authorization": f"Bearer {key}"}
    assert http.request("GET", "/v1/tenant", headers=restricted).status_code == 200
    assert_problem(http.request("GET", "/v1/events", headers=restricted), 403, "forbidden")
    assert_problem(http.request("POST", "/v1/api-keys", {"name": "x", "scopes": ["*"]}, restricted), 403, "forbidden")
    assert_problem(http.request("POST", "/v1/api-keys", {"name": "x", "scopes": ["nope"]}, restricted), 400,
                   "invalid_request", ["scopes"])


def test_a_revoked_key_answers_401_from_its_next_request(http, tenant):
    key = body_of(http.request("POST", "/v1/api-keys", {"name": "temp", "scopes": ["*"]}, tenant["headers"]))
    headers = {"Authorization": f"Bearer {key['key']}"}
    assert http.request("GET", "/v1/tenant", headers=headers).status_code == 200
    revoked = http.request("DELETE", f"/v1/api-keys/{key['id']}", headers=tenant["headers"])
    assert revoked.status_code == 200 and body_of(revoked)["revoked_at"]
    assert_problem(http.request("GET", "/v1/tenant", headers=headers), 401, "unauthenticated")
    assert_problem(http.request("DELETE", f"/v1/api-keys/{key['id']}", headers=tenant["headers"]), 409, "invalid_state")


def test_another_tenants_key_is_404_like_a_missing_one(http, tenant):
    other = body_of(http.request("POST", "/v1/tenants", tenant_body(cnpj="45723174000110"), ADMIN))
    other_headers = {"Authorization": f"Bearer {other['api_key']}"}
    assert_problem(http.request("DELETE", f"/v1/api-keys/{tenant['api_key_id']}", headers=other_headers), 404,
                   "not_found")
    assert http.request("GET", "/v1/tenant", headers=tenant["headers"]).status_code == 200


def test_a_cursor_from_one_tenant_is_rejected_for_another(http, tenant):
    for i in range(3):
        http.request("POST", "/v1/api-keys", {"name": f"k{i}", "scopes": ["*"]}, tenant["headers"])
    page = body_of(http.request("GET", "/v1/api-keys?limit=2", headers=tenant["headers"]))
    assert len(page["data"]) == 2 and page["next_cursor"]
    other = body_of(http.request("POST", "/v1/tenants", tenant_body(cnpj="45723174000110"), ADMIN))
    answer = http.request("GET", f"/v1/api-keys?cursor={page['next_cursor']}",
                          headers={"Authorization": f"Bearer {other['api_key']}"})
    assert_problem(answer, 400, "invalid_request", ["cursor"])


def test_lists_walk_every_item_once_with_cursors(http, tenant):
    for i in range(4):
        http.request("POST", "/v1/api-keys", {"name": f"k{i}", "scopes": ["*"]}, tenant["headers"])
    seen, cursor = [], None
    while True:
        path = "/v1/api-keys?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = body_of(http.request("GET", path, headers=tenant["headers"]))
        seen += [k["id"] for k in page["data"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 5
    assert seen == sorted(seen, reverse=True)


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=abc", "colour=red"])
def test_bad_list_parameters_are_400(http, tenant, query):
    assert_problem(http.request("GET", f"/v1/api-keys?{query}", headers=tenant["headers"]), 400, "invalid_request")


def test_the_same_idempotency_key_and_body_replays_the_first_answer(http):
    headers = {**ADMIN, "Idempotency-Key": "onboard-1"}
    first = http.request("POST", "/v1/tenants", tenant_body(), headers)
    second = http.request("POST", "/v1/tenants", tenant_body(), headers)
    assert first.status_code == second.status_code == 201
    assert body_of(first) == body_of(second)
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert len(body_of(http.request("GET", "/v1/tenants", headers=ADMIN))["data"]) == 1


def test_the_same_idempotency_key_with_another_body_is_409_and_writes_nothing(http):
    headers = {**ADMIN, "Idempotency-Key": "onboard-2"}
    assert http.request("POST", "/v1/tenants", tenant_body(), headers).status_code == 201
    reused = http.request("POST", "/v1/tenants", tenant_body(cnpj="45723174000110"), headers)
    assert_problem(reused, 409, "idempotency_key_reused")
    assert len(body_of(http.request("GET", "/v1/tenants", headers=ADMIN))["data"]) == 1


def test_an_error_answer_is_replayed_too(http, tenant):
    headers = {**ADMIN, "Idempotency-Key": "dup"}
    first = http.request("POST", "/v1/tenants", tenant_body(), headers)
    assert_problem(first, 409, "conflict")  # the CNPJ belongs to `tenant`: a lost race is not kept...
    retry = http.request("POST", "/v1/tenants", tenant_body(), headers)
    assert retry.headers.get("Idempotent-Replayed") is None  # ...so a retry runs again


def test_idempotency_keys_are_scoped_per_tenant(http, tenant):
    other = body_of(http.request("POST", "/v1/tenants", tenant_body(cnpj="45723174000110"), ADMIN))
    body = {"name": "k", "scopes": ["*"]}
    a = http.request("POST", "/v1/api-keys", body, {**tenant["headers"], "Idempotency-Key": "same"})
    b = http.request("POST", "/v1/api-keys", body, {"Authorization": f"Bearer {other['api_key']}",
                                                     "Idempotency-Key": "same"})
    assert a.status_code == b.status_code == 201
    assert body_of(a)["id"] != body_of(b)["id"] and b.headers.get("Idempotent-Replayed") is None


def stored_items() -> list[dict]:
    from chalicelib.platform.aws import client
    from chalicelib.platform.config import get_settings

    return client("dynamodb").scan(TableName=get_settings().table_name)["Items"]


def idempotency_items() -> list[dict]:
    return [item for item in stored_items() if item.get("kind", {}).get("S") == "idempotency"]


def test_an_idempotent_answer_holding_a_secret_is_stored_sealed_and_still_replayed(http, tenant):
    idempotency_key = "new-key-for-the-erp-2026"
    headers = {**tenant["headers"], "Idempotency-Key": idempotency_key}
    first = http.request("POST", "/v1/api-keys", {"name": "erp", "scopes": ["orders:read"]}, headers)
    assert first.status_code == 201
    secret = body_of(first)["key"]
    [record] = idempotency_items()
    stored = json.dumps(record)
    assert secret not in stored and secret.split("_")[-1] not in stored
    assert idempotency_key not in stored and '"erp"' not in stored
    replay = http.request("POST", "/v1/api-keys", {"name": "erp", "scopes": ["orders:read"]}, headers)
    assert (replay.status_code, replay.body) == (first.status_code, first.body)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.headers["Content-Type"] == first.headers["Content-Type"]
    reused = http.request("POST", "/v1/api-keys", {"name": "erp2", "scopes": ["orders:read"]}, headers)
    assert_problem(reused, 409, "idempotency_key_reused", ["Idempotency-Key"])


def test_an_onboarding_answer_keeps_the_tenants_key_out_of_the_table(http):
    headers = {**ADMIN, "Idempotency-Key": "onboard-sealed"}
    first = http.request("POST", "/v1/tenants", tenant_body(), headers)
    api_key = body_of(first)["api_key"]
    everything = json.dumps(stored_items())
    assert api_key not in everything and "onboard-sealed" not in everything
    replay = http.request("POST", "/v1/tenants", tenant_body(), headers)
    assert replay.body == first.body and replay.headers["Idempotent-Replayed"] == "true"


def test_a_record_stored_in_clear_before_sealing_counts_as_absent(http, tenant):

    from chalicelib.platform import keys
    from chalicelib.platform.aws import client
    from chalicelib.platform.config import get_settings
    from chalicelib.platform.idempotency import record_address

    key = keys.idempotency(tenant["id"], record_address("legacy-1"))
    client("dynamodb").put_item(TableName=get_settings().table_name, Item={
        "pk": {"S": key.pk}, "sk": {"S": key.sk}, "kind": {"S": "idempotency"}, "request_hash": {"S": "old"},
        "state": {"S": "done"}, "locked_until": {"N": "0"}, "response_status": {"N": "201"},
        "response_headers": {"S": "{}"}, "response_body": {"S": '{"key": "rtg_test_plaintext"}'}})
    answer = http.request("POST", "/v1/api-keys", {"name": "k", "scopes": ["*"]},
                          {**tenant["headers"], "Idempotency-Key": "legacy-1"})
    assert answer.status_code == 201 and answer.headers.get("Idempotent-Replayed") is None
    [record] = idempotency_items()
    assert "sealed_response" in record and "response_body" not in record


@pytest.mark.parametrize("key", ["", "x" * 256])
def test_an_idempotency_key_must_be_1_to_255_chars(http, key):
    answer = http.request("POST", "/v1/tenants", tenant_body(), {**ADMIN, "Idempotency-Key": key})
    assert_problem(answer, 400, "invalid_request", ["Idempotency-Key"])


def test_events_are_listed_newest_first_and_filtered_by_type(http, tenant):
    http.request("POST", "/v1/api-keys", {"name": "k", "scopes": ["*"]}, tenant["headers"])
    events = body_of(http.request("GET", "/v1/events", headers=tenant["headers"]))["data"]
    assert [e["type"] for e in events][-1] in ("tenant.created", "api_key.created")
    assert all(e["tenant_id"] == tenant["id"] for e in events)
    only = body_of(http.request("GET", "/v1/events?type=tenant.created", headers=tenant["headers"]))["data"]
    assert [e["type"] for e in only] == ["tenant.created"]
    one = http.request("GET", f"/v1/events/{only[0]['id']}", headers=tenant["headers"])
    assert body_of(one)["id"] == only[0]["id"]


def test_usage_counts_the_tenants_api_calls_per_month(http, tenant):
    for _ in range(3):
        http.request("GET", "/v1/tenant", headers=tenant["headers"])
    usage = body_of(http.request("GET", "/v1/usage", headers=tenant["headers"]))
    assert usage["api_calls"] == 4 and usage["orders"] == 0
    assert set(usage) == {"month", "api_calls", "orders", "invoices", "charges", "notifications", "storage_items"}
    empty = body_of(http.request("GET", "/v1/usage?month=2020-01", headers=tenant["headers"]))
    assert empty["api_calls"] == 0 and empty["month"] == "2020-01"
    assert_problem(http.request("GET", "/v1/usage?month=2020-13", headers=tenant["headers"]), 400,
                   "invalid_request", ["month"])


def test_an_a1_certificate_is_validated_kept_secret_and_shown_only_by_its_facts(http, tenant):
    import base64

    from chalicelib.invoicing.signing import generate_test_certificate

    pfx, password = generate_test_certificate(tenant["cnpj"], "LOJA EXEMPLO")
    upload = {"invoicing": {"certificate": {"pfx_base64": base64.b64encode(pfx).decode(), "password": password}}}
    answer = http.request("PATCH", "/v1/tenant/settings", upload, tenant["headers"])
    assert answer.status_code == 200, answer.body
    certificate = body_of(answer)["settings"]["invoicing"]["certificate"]
    assert certificate["source"] == "uploaded" and tenant["cnpj"] in certificate["subject"]
    assert password.encode() not in answer.body and b"pfx_base64" not in answer.body
    assert body_of(http.request("GET", "/v1/tenant", headers=tenant["headers"]))["settings"]["invoicing"][
        "certificate"] == certificate
    wrong = {"invoicing": {"certificate": {"pfx_base64": base64.b64encode(pfx).decode(), "password": "nope"}}}
    assert_problem(http.request("PATCH", "/v1/tenant/settings", wrong, tenant["headers"]), 400, "invalid_request",
                   ["invoicing.certificate.password"])
    garbage = {"invoicing": {"certificate": {"pfx_base64": base64.b64encode(b"x" * 64).decode(), "password": "x"}}}
    assert_problem(http.request("PATCH", "/v1/tenant/settings", garbage, tenant["headers"]), 400, "invalid_request",
                   ["invoicing.certificate.pfx_base64"])
    assert_problem(http.request("PATCH", "/v1/tenant/settings", {"invoicing": {"certificate": None}},
                                tenant["headers"]), 400, "invalid_request", ["invoicing.certificate"])


def settings_events(http, tenant) -> list[dict]:
    return body_of(http.request("GET", "/v1/events?type=tenant.settings_updated", headers=tenant["headers"]))["data"]


def test_production_is_refused_until_an_a1_certificate_is_uploaded(http, tenant):
    import base64

    from chalicelib.invoicing.signing import generate_test_certificate

    production = {"invoicing": {"environment": "producao"}}
    problem = assert_problem(http.request("PATCH", "/v1/tenant/settings", production, tenant["headers"]), 400,
                             "invalid_request", ["invoicing.environment"])
    assert "certificate" in problem["errors"][0]["message"]
    both = {"invoicing": {"environment": "producao", "series": 7}, "reports": {"recipients": []}}
    assert_problem(http.request("PATCH", "/v1/tenant/settings", both, tenant["headers"]), 400, "invalid_request",
                   ["invoicing.environment"])
    sefaz = {"invoicing": {"authority": "sefaz"}}
    assert_problem(http.request("PATCH", "/v1/tenant/settings", sefaz, tenant["headers"]), 400, "invalid_request",
                   ["invoicing.authority"])
    assert body_of(http.request("GET", "/v1/tenant", headers=tenant["headers"]))["settings"] == tenant["settings"]
    assert settings_events(http, tenant) == []

    pfx, password = generate_test_certificate(tenant["cnpj"], "LOJA EXEMPLO")
    certificate = {"pfx_base64": base64.b64encode(pfx).decode(), "password": password}
    together = {"invoicing": {"environment": "producao", "certificate": certificate}}
    answer = http.request("PATCH", "/v1/tenant/settings", together, tenant["headers"])
    assert answer.status_code == 200, answer.body
    invoicing = body_of(answer)["settings"]["invoicing"]
    assert invoicing["environment"] == "producao" and invoicing["certificate"]["source"] == "uploaded"
    back = http.request("PATCH", "/v1/tenant/settings", {"invoicing": {"environment": "homologacao"}}, tenant["headers"])
    assert back.status_code == 200
    again = http.request("PATCH", "/v1/tenant/settings", production, tenant["headers"])
    assert again.status_code == 200 and body_of(again)["settings"]["invoicing"]["environment"] == "producao"


def test_a_patch_that_changes_nothing_saves_nothing_and_emits_no_event(http, tenant):
    for patch in ({}, {"invoicing": {}}, {"invoicing": {"series": 1, "environment": "homologacao"}},
                  {"collections": {"fine_percent": 2.0}}):
        answer = http.request("PATCH", "/v1/tenant/settings", patch, tenant["headers"])
        assert answer.status_code == 200, (patch, answer.body)
        assert body_of(answer)["settings"] == tenant["settings"]
    assert settings_events(http, tenant) == []
    same_reports = {"recipients": tenant["settings"]["reports"]["recipients"]}
    changed = http.request("PATCH", "/v1/tenant/settings", {"invoicing": {"series": 2}, "reports": same_reports},
                           tenant["headers"])
    assert changed.status_code == 200
    assert [e["data"] for e in settings_events(http, tenant)] == [{"sections": ["invoicing"]}]


def test_a_setting_made_invalid_by_a_stricter_rule_blocks_only_its_own_section(http, tenant):
    from tests.deps import root

    repo = root().tenant_repository
    stored = repo.get(tenant["id"])
    stale = stored.settings.collections.model_copy(update={"pix_key": "not a dict key"})  # saved before the rule
    repo.save(stored.model_copy(update={"settings": stored.settings.model_copy(update={"collections": stale}),
                                        "version": stored.version + 1}), stored.version, [])
    other = http.request("PATCH", "/v1/tenant/settings", {"invoicing": {"series": 3}}, tenant["headers"])
    assert other.status_code == 200, other.body
    same = http.request("PATCH", "/v1/tenant/settings", {"collections": {"fine_percent": 1}}, tenant["headers"])
    assert_problem(same, 400, "invalid_request", ["collections.pix_key"])
