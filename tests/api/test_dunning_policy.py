"""The dunning policy through the API: the contract's default, validation naming the field, the late terms
stored once (collections) and shown in both places, and the template catalogue."""

from __future__ import annotations

import pytest

from tests.api.test_catalog import call

DEFAULT_STEPS = [(-3, "email"), (0, "email"), (1, "whatsapp"), (7, "email"), (15, "email"), (30, "email")]


def steps(*triples: tuple[int, str, str]) -> list[dict[str, object]]:
    return [{"offset_days": o, "channel": c, "template": t} for o, c, t in triples]


def test_every_tenant_starts_with_the_contracts_default_policy(http, tenant):
    status, policy = call(http, tenant, "GET", "/v1/dunning-policy")
    assert status == 200
    assert [(s["offset_days"], s["channel"]) for s in policy["steps"]] == DEFAULT_STEPS
    assert (policy["fine_percent"], policy["interest_monthly_percent"], policy["b2b_fine_percent"]) == (2.0, 1.0, None)
    settings = call(http, tenant, "GET", "/v1/tenant")[1]["settings"]
    assert settings["dunning"] == policy


def test_a_policy_is_replaced_sorted_and_read_back_in_both_places(http, tenant):
    body = {"steps": steps((10, "sms", "overdue_reminder"), (-5, "email", "upcoming"), (1, "whatsapp", "overdue")),
            "fine_percent": 1.5, "interest_monthly_percent": 0.5}
    status, policy = call(http, tenant, "PUT", "/v1/dunning-policy", body)
    assert status == 200, policy
    assert [s["offset_days"] for s in policy["steps"]] == [-5, 1, 10]
    assert (policy["fine_percent"], policy["interest_monthly_percent"]) == (1.5, 0.5)
    assert call(http, tenant, "GET", "/v1/dunning-policy")[1] == policy
    collections = call(http, tenant, "GET", "/v1/tenant")[1]["settings"]["collections"]
    assert (collections["fine_percent"], collections["interest_monthly_percent"]) == (1.5, 0.5)


@pytest.mark.parametrize(("body", "field"), [
    ({"steps": steps((-31, "email", "upcoming"))}, "steps.0.offset_days"),
    ({"steps": steps((181, "email", "final_notice"))}, "steps.0.offset_days"),
    ({"steps": steps((1, "fax", "overdue"))}, "steps.0.channel"),
    ({"steps": steps((1, "email", "no_such_template"))}, "steps.0.template"),
    ({"steps": steps((1, "email", "overdue"), (1, "sms", "overdue"))}, "steps"),
    ({"steps": steps((1, "email", "overdue")), "fine_percent": 2.5}, "fine_percent"),
    ({"steps": steps((1, "email", "overdue")), "b2b_fine_percent": 12}, "b2b_fine_percent"),
    ({"fine_percent": 1}, "steps"),
    ({"steps": steps((1, "email", "overdue")), "color": "red"}, "color"),
])
def test_a_bad_policy_is_400_naming_the_field_and_changes_nothing(http, tenant, body, field):
    before = call(http, tenant, "GET", "/v1/dunning-policy")[1]
    status, problem = call(http, tenant, "PUT", "/v1/dunning-policy", body)
    assert status == 400 and problem["code"] == "invalid_request", problem
    assert field in {e["field"] for e in problem["errors"]}, problem
    assert call(http, tenant, "GET", "/v1/dunning-policy")[1] == before


def test_the_late_terms_are_one_setting_whichever_way_they_are_set(http, tenant):
    assert call(http, tenant, "PATCH", "/v1/tenant/settings", {"collections": {"interest_monthly_percent": 0.8}})[0] == 200
    assert call(http, tenant, "GET", "/v1/dunning-policy")[1]["interest_monthly_percent"] == 0.8
    status, body = call(http, tenant, "PATCH", "/v1/tenant/settings", {"dunning": {"fine_percent": 1}})
    assert status == 200 and body["settings"]["collections"]["fine_percent"] == 1.0
    assert body["settings"]["dunning"]["fine_percent"] == 1.0
    assert [s["offset_days"] for s in body["settings"]["dunning"]["steps"]] == [o for o, _ in DEFAULT_STEPS]
    status, problem = call(http, tenant, "PATCH", "/v1/tenant/settings",
                           {"dunning": {"fine_percent": 1.5}, "collections": {"fine_percent": 2}})
    assert status == 400
    assert "dunning.fine_percent" in {e["field"] for e in problem["errors"]}
    status, problem = call(http, tenant, "PATCH", "/v1/tenant/settings", {"dunning": {"fine_percent": 3}})
    assert status == 400 and [e["field"] for e in problem["errors"]] == ["dunning.fine_percent"]


def test_the_templates_are_listed_with_their_text(http, tenant):
    status, body = call(http, tenant, "GET", "/v1/dunning-templates")
    assert status == 200
    names = [t["name"] for t in body["data"]]
    assert names == ["upcoming", "due_today", "overdue", "overdue_reminder", "final_notice"]
    policy = call(http, tenant, "GET", "/v1/dunning-policy")[1]
    assert {s["template"] for s in policy["steps"]} <= set(names)
    for template in body["data"]:
        assert "Loja Exemplo" in template["subject"] and "Maria da Silva" in template["text"]
        assert "R$ 150,00" in template["text"] and "{{" not in template["text"]
