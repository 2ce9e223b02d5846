"""Retaguarda's deployable truth: a CDK v2 app around Chalice's CDK construct."""
