"""Builds the CDK app: one stack per stage, offline (no AWS account, no CDK CLI needed)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK_DIR = ROOT / ".local" / "infra"
DEFAULT_OUTDIR = WORK_DIR / "cdk.out"
DEFAULT_REGION = "sa-east-1"


def prepare_environment() -> None:
    """What the synth needs before aws_cdk/chalice are imported (see DESIGN, 'Known traps')."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "1")
    # Chalice's packaging crashes without a region; the CDK CLI passes the account's own.
    os.environ.setdefault("AWS_DEFAULT_REGION", os.environ.get("CDK_DEFAULT_REGION", DEFAULT_REGION))


def stack_name(stage: str) -> str:
    return f"retaguarda-{stage}"


def build_app(stages: Iterable[str] | None = None, *, outdir: str | os.PathLike[str] | None = None,
              context: dict[str, str] | None = None, work_dir: Path = WORK_DIR):  # noqa: ANN201 - aws_cdk.App
    """An App with a stack per stage: `stages` or the one `-c stage=NAME` names (default dev)."""
    prepare_environment()
    import aws_cdk as cdk

    from infra.chalice_app import stage_project
    from infra.settings import stage_from_context
    from infra.stack import RetaguardaStack

    outdir = outdir or os.environ.get("CDK_OUTDIR") or DEFAULT_OUTDIR
    app = cdk.App(outdir=str(outdir), context=context or None)
    work_dir.mkdir(parents=True, exist_ok=True)
    project_dir = stage_project(ROOT, work_dir)
    names = list(stages) if stages else [app.node.try_get_context("stage") or "dev"]
    env = None
    if os.environ.get("CDK_DEFAULT_ACCOUNT"):
        env = cdk.Environment(account=os.environ["CDK_DEFAULT_ACCOUNT"], region=os.environ.get("CDK_DEFAULT_REGION"))
    for name in names:
        settings = stage_from_context(lambda key, name=name: name if key == "stage" else app.node.try_get_context(key))
        stack = RetaguardaStack(app, stack_name(name), settings=settings, project_dir=project_dir,
                                work_dir=work_dir, env=env,
                                description=f"Retaguarda backoffice API ({name})")
        cdk.Tags.of(stack).add("project", "retaguarda")
        cdk.Tags.of(stack).add("stage", name)
    return app
