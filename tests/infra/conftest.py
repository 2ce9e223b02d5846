"""One synth per test session: dev, prod and a variant with a schedule, in one CDK app.

The stacks are built offline (Chalice packages the app; its dependency layer is cached under
`.local/infra`, so only the first run ever downloads wheels). CDK's own template validation
is off here: the tests lint the templates with cfn-lint instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infra.build import prepare_environment

prepare_environment()  # before anything imports aws_cdk: node warning list, AWS_DEFAULT_REGION

SCHEDULED = "retaguarda-scheduled"


@dataclass
class Synth:
    directory: Path
    templates: dict[str, dict[str, Any]]  # stack name -> template
    stacks: dict[str, Any]  # stack name -> RetaguardaStack
    assets: dict[str, Path]  # stack name -> its cloud assembly's asset files, by asset hash

    def template(self, stack: str) -> Any:
        from aws_cdk.assertions import Template

        return Template.from_json(self.templates[stack])


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    pytest.importorskip("aws_cdk", reason="requirements-infra.txt is not installed")
    from chalicelib.platform.resources import DEFINITIONS, Definitions, Schedule
    from infra.build import WORK_DIR, add_stack, build_app, locked
    from infra.settings import STAGES

    outdir = tmp_path_factory.mktemp("cdk.out")
    with locked():
        app = build_app(["dev", "prod"], outdir=outdir, validation=False)
        # A variant with a schedule of its own: proves that one added to DEFINITIONS is deployed.
        scheduled = Definitions(consumers=(), schedules=(
            Schedule(name="daily-dunning", handler=DEFINITIONS.consumers[0].handler, cron="0 9 * * ? *",
                     every_seconds_locally=60, module="chalicelib.collections.handlers", function="run_overdue",
                     deps="collections", description="A schedule of the test variant."),))
        add_stack(app, STAGES["dev"], project_dir=WORK_DIR / "project", stack_id=SCHEDULED, definitions=scheduled)
        assembly = app.synth()
    templates, stacks, assets = {}, {}, {}
    for artifact in assembly.stacks:
        templates[artifact.stack_name] = json.loads((Path(assembly.directory) / artifact.template_file).read_text())
        stacks[artifact.stack_name] = app.node.find_child(artifact.stack_name)
        manifest = json.loads((Path(assembly.directory) / f"{artifact.stack_name}.assets.json").read_text())
        assets[artifact.stack_name] = {h: Path(assembly.directory) / f["source"]["path"]
                                       for h, f in manifest["files"].items()}
    return Synth(Path(assembly.directory), templates, stacks, assets)


@pytest.fixture(scope="session")
def prod(synth: Synth) -> dict[str, Any]:
    return synth.templates["retaguarda-prod"]


@pytest.fixture(scope="session")
def dev(synth: Synth) -> dict[str, Any]:
    return synth.templates["retaguarda-dev"]
