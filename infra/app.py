"""CDK entry point: `python infra/app.py [-c stage=prod] [--outdir DIR]`, or through the CDK CLI
(`cdk.json` beside this file). Synthesizes offline; prints where the templates are."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this file's folder comes first on sys.path and its name ('app') would
# shadow the Chalice app.py that packaging imports: put the project root there instead.
if sys.path and Path(sys.path[0] or ".").resolve() == ROOT / "infra":
    sys.path[0] = str(ROOT)
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from infra.build import DEFAULT_OUTDIR, build_app, locked, prepare_environment  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE",
                        help="CDK context, as the CLI takes it (stage=dev|prod, notifications_sender, alarm_email)")
    parser.add_argument("--outdir", help="cloud assembly directory (default: $CDK_OUTDIR or .local/infra/cdk.out)")
    args = parser.parse_args(argv)
    context = dict(item.split("=", 1) for item in args.context)
    prepare_environment()
    started = time.perf_counter()
    with locked():
        if not args.outdir and not os.environ.get("CDK_OUTDIR"):
            shutil.rmtree(DEFAULT_OUTDIR, ignore_errors=True)  # no stale assets piling up there
        assembly = build_app(outdir=args.outdir, context=context).synth()
    for stack in assembly.stacks:
        print(f"{stack.stack_name}: {Path(assembly.directory) / stack.template_file}")
    print(f"synthesized in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
