"""In AWS without a custom domain, the API's address comes from the SSM parameter the stack writes."""

from __future__ import annotations


def test_the_runtime_reads_the_public_api_url_parameter_once(aws, monkeypatch) -> None:
    import boto3

    from chalicelib.platform import config

    boto3.client("ssm", region_name="us-east-1").put_parameter(
        Name="/retaguarda/dev/public-api-url", Value="https://abc.execute-api.us-east-1.amazonaws.com/api/",
        Type="String")
    monkeypatch.delenv("PUBLIC_API_URL", raising=False)
    monkeypatch.setenv("PUBLIC_API_URL_PARAMETER", "/retaguarda/dev/public-api-url")
    config.get_settings.cache_clear()
    config.public_api_url.cache_clear()
    try:
        assert config.public_api_url() == "https://abc.execute-api.us-east-1.amazonaws.com/api"
    finally:
        monkeypatch.undo()
        config.get_settings.cache_clear()
        config.public_api_url.cache_clear()
