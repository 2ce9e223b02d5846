import json


def test_health_is_public(http):
    answer = http.request("GET", "/v1/health")
    assert answer.status_code == 200
    assert json.loads(answer.body) == {"status": "ok"}


def test_admin_creates_a_tenant_whose_key_reads_itself(http, tenant):
    answer = http.request("GET", "/v1/tenant", headers=tenant["headers"])
    assert answer.status_code == 200, answer.body
    assert json.loads(answer.body)["id"] == tenant["id"]
