"""Builds the CDK app: one stack per stage, offline (no AWS account, no CDK CLI needed)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK_DIR = ROOT / ".local" / "infra"
DEFAULT_OUTDIR = WORK_DIR / "cdk.out"
DEFAULT_REGION = "sa-east-1"
JSII_SILENCE = "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"


def _node_major() -> str | None:
    node = shutil.which(os.environ.get("JSII_NODE", "node"))
    if node is None:
        return None
    try:
        version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return version.strip().lstrip("v").split(".")[0] or None


def prepare_environment() -> None:
    """What the synth needs before aws_cdk/chalice are imported (see DESIGN, 'Known traps')."""
    # jsii reads this as a list of node majors it should not warn about (a plain '1' silences none).
    silenced = os.environ.get(JSII_SILENCE, "")
    major = _node_major()
    if major and major not in [v.strip() for v in silenced.split(",")]:
        os.environ[JSII_SILENCE] = ",".join(v for v in (silenced, major) if v)
    # Chalice's packaging crashes without a region; the CDK CLI passes the account's own.
    os.environ.setdefault("AWS_DEFAULT_REGION", os.environ.get("CDK_DEFAULT_REGION", DEFAULT_REGION))


def stack_name(stage: str) -> str:
    return f"retaguarda-{stage}"


@contextlib.contextmanager
def locked(work_dir: Path = WORK_DIR) -> Iterator[None]:
    """One synth at a time per work directory (the runner and a test run may overlap)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    with open(work_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextlib.contextmanager
def isolated_imports(project_dir: Path) -> Iterator[None]:
    """Chalice imports the staged app.py in-process, putting the staged copy first on sys.path:
    take it off again afterwards. The imported modules stay: app.py registers blueprints that
    live in chalicelib modules, and importing app.py a second time against the same blueprint
    objects fails (duplicate routes), so it is imported once per process and then reused."""
    path = list(sys.path)
    try:
        yield
    finally:
        sys.path[:] = path


def build_app(stages: Iterable[str] | None = None, *, outdir: str | os.PathLike[str] | None = None,
              context: dict[str, str] | None = None, work_dir: Path = WORK_DIR,
              validation: bool = True):
    """An App with a stack per stage: `stages`, or the one `-c stage=NAME` names (default dev).

    Call it inside `locked(work_dir)`, and synthesize before leaving that block.
    """
    prepare_environment()
    import aws_cdk as cdk

    from infra.chalice_app import stage_project
    from infra.settings import stage_from_context

    outdir = outdir or os.environ.get("CDK_OUTDIR") or DEFAULT_OUTDIR
    # `validation=False` skips CDK's built-in template validation (several seconds): the tests
    # lint the template with cfn-lint, before and after the SAM transform, instead.
    app = cdk.App(outdir=str(outdir), context=context or None,
                  builtin_cloud_formation_validation=False if not validation else None)
    project_dir = stage_project(ROOT, work_dir)
    names = list(stages) if stages else [app.node.try_get_context("stage") or "dev"]
    for name in names:
        settings = stage_from_context(lambda key, name=name: name if key == "stage" else app.node.try_get_context(key))
        add_stack(app, settings, project_dir=project_dir, work_dir=work_dir)
    return app


def add_stack(app, settings, *, project_dir: Path, work_dir: Path = WORK_DIR, stack_id: str | None = None,
              definitions=None):
    """One Retaguarda stack for `settings` (infra.settings.StageSettings) in `app`."""
    import aws_cdk as cdk

    from chalicelib.platform.resources import DEFINITIONS
    from infra.stack import RetaguardaStack

    with isolated_imports(project_dir):
        stack = RetaguardaStack(app, stack_id or stack_name(settings.name), settings=settings, project_dir=project_dir,
                                work_dir=work_dir, definitions=definitions or DEFINITIONS, env=stack_environment(),
                                description=f"Retaguarda backoffice API ({settings.name})")
    cdk.Tags.of(stack).add("project", "retaguarda")
    cdk.Tags.of(stack).add("stage", settings.name)
    return stack


def stack_environment():
    """The CLI's account/region when it runs us; environment-agnostic offline."""
    import aws_cdk as cdk

    if os.environ.get("CDK_DEFAULT_ACCOUNT"):
        return cdk.Environment(account=os.environ["CDK_DEFAULT_ACCOUNT"], region=os.environ.get("CDK_DEFAULT_REGION"))
    return None
