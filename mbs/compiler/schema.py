"""The JSON Schema of a compiled program (``docs/program.schema.json``)::

python -m mbs.compiler.schema > docs/program.schema.json
"""

from __future__ import annotations

import json
import sys

from mbs.program import FORMAT_VERSION, Program


def program_schema() -> str:
    schema = Program.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$comment"] = (
        f"mbs compiled program, format version {FORMAT_VERSION}; generated from "
        "mbs/program.py by `python -m mbs.compiler.schema`"
    )
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(program_schema())
