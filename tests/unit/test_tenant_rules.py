"""Pure rules of the tenants context."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from chalicelib.tenants.model import DunningPolicy, TenantSettings, default_settings, merge, validate_scopes


def test_a_new_tenant_charges_with_its_cnpj_as_pix_key_through_the_local_provider():
    settings = default_settings("11222333000181", "a@b.com")
    assert settings.collections.pix_key == "11222333000181"
    assert settings.collections.provider == "local"
    assert settings.invoicing.enabled and settings.invoicing.environment == "homologacao"
    assert settings.reports.recipients == ["a@b.com"]


def test_settings_merge_keeps_what_the_patch_does_not_name():
    current = {"invoicing": {"enabled": True, "series": 1}, "collections": {"bank_code": "001"}}
    assert merge(current, {"invoicing": {"series": 2}}) == {"invoicing": {"enabled": True, "series": 2},
                                                          "collections": {"bank_code": "001"}}


def test_settings_reject_out_of_range_values():
    for bad in ({"invoicing": {"series": 1000}}, {"collections": {"fine_percent": -1}},
                {"collections": {"bank_code": "1"}}, {"invoicing": {"environment": "prod"}}):
        with pytest.raises(ValidationError):
            TenantSettings.model_validate(bad)


def test_a_dunning_policy_has_distinct_steps_sorted_by_offset():
    policy = DunningPolicy.model_validate({"steps": [{"offset_days": 5, "template": "late"},
                                                     {"offset_days": -3, "template": "soon"}]})
    assert [s.offset_days for s in policy.steps] == [-3, 5]
    with pytest.raises(ValidationError):
        DunningPolicy.model_validate({"steps": [{"offset_days": 1, "template": "a"}, {"offset_days": 1, "template": "b"}]})


def test_scopes_are_star_or_area_level():
    assert validate_scopes(["orders:read", "orders:read", "*"]) == ["*", "orders:read"]
    with pytest.raises(ValueError):
        validate_scopes(["orders:delete"])
    with pytest.raises(ValueError):
        validate_scopes(["admin"])
