"""Chalice's CDK construct, packaged from a clean copy of the project, shipping bytecode.

- The project's Lambda sources (app.py, chalicelib/, requirements.txt, .chalice/config.json,
  vendor/ if any) are copied to `.local/infra/project`, so Chalice's dependency cache
  (`.chalice/deployments`, keyed by requirements + code) and its `chalice.out` scratch
  directory live under `.local/` and never in the work tree.
- After Chalice has built `deployment.zip`, every `.py` in it gets its `.pyc` (infra.bytecode).
- The SAM template Chalice produced is kept (`self.template`) to find the functions in it.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path
from typing import Any

from chalice.cdk import Chalice

from infra.bytecode import LAYER_ROOT, add_bytecode

PROJECT_FILES = ("app.py", "requirements.txt", ".chalice/config.json")
PROJECT_DIRS = ("chalicelib", "vendor")
KEEP_CACHED_PACKAGES = 4


def stage_project(root: Path, work_dir: Path) -> Path:
    """Copy what Chalice packages from `root` into `work_dir/project`; return that directory."""
    project = work_dir / "project"
    for name in PROJECT_DIRS:
        shutil.rmtree(project / name, ignore_errors=True)
        if (root / name).is_dir():
            shutil.copytree(root / name, project / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))
    for name in PROJECT_FILES:
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, project / name)
    _prune_package_cache(project / ".chalice" / "deployments")
    shutil.rmtree(work_dir / "chalice.out", ignore_errors=True)
    return project


def _prune_package_cache(cache: Path) -> None:
    if cache.is_dir():
        packages = sorted(cache.glob("*.zip"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in packages[KEEP_CACHED_PACKAGES:]:
            old.unlink()


class ChaliceApp(Chalice):
    """`chalice.cdk.Chalice`, run inside `work_dir`, with `.pyc` added to the package."""

    def __init__(self, scope: Any, construct_id: str, *, project_dir: Path, work_dir: Path,
                 stage_config: dict[str, Any]) -> None:
        self._bytecode_cache = work_dir / "bytecode"
        self.bytecode_files = 0
        # The construct writes its scratch files to ./chalice.out: keep them under work_dir.
        with contextlib.chdir(work_dir):
            super().__init__(scope, construct_id, source_dir=str(project_dir), stage_config=stage_config)
        self.package_dir = Path(self._sam_package_dir)
        self.template: dict[str, Any] = json.loads((self.package_dir / "sam.json").read_text())

    def _package_app(self) -> None:
        super()._package_app()
        package_dir = Path(self._sam_package_dir)
        sam = json.loads((package_dir / "sam.json").read_text())
        runtimes = {r["Properties"]["Runtime"] for r in sam["Resources"].values()
                    if r["Type"] == "AWS::Serverless::Function"}
        if len(runtimes) != 1:
            raise ValueError(f"one Python runtime expected for the whole app, found {sorted(runtimes)}")
        runtime = runtimes.pop()
        self.bytecode_files = add_bytecode(package_dir / "deployment.zip", runtime, self._bytecode_cache)
        layer = package_dir / "layer-deployment.zip"
        if layer.exists():
            self.bytecode_files += add_bytecode(layer, runtime, self._bytecode_cache, root=LAYER_ROOT)

    def functions(self) -> dict[str, dict[str, Any]]:
        """Logical id -> properties of each Lambda function Chalice declared."""
        return {name: resource["Properties"] for name, resource in self.template["Resources"].items()
                if resource["Type"] == "AWS::Serverless::Function"}

    def authorizer_functions(self) -> set[str]:
        """Logical ids of the functions the REST API uses as authorizers."""
        api = self.template["Resources"].get("RestAPI")
        if api is None:
            return set()
        body = json.dumps(api["Properties"].get("DefinitionBody", {}).get("securityDefinitions", {}))
        return {name for name in self.functions() if "${" + name + ".Arn}" in body}
