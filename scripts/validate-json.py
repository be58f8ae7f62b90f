#!/usr/bin/env python3
"""Validate JSON on stdin against a schema of docs/schemas/ (draft 2020-12).

usage: validate-json.py SCHEMA_DIR NAME [--lines]
NAME is the schema's file name without .json; --lines validates every line (JSON lines).
Exit 0 when valid, 1 when not (each error on stderr), 3 when the jsonschema package is missing.
"""
import json
import os
import sys

try:
    import jsonschema
    from referencing import Registry, Resource
except ImportError:
    sys.stderr.write("validate-json.py: the jsonschema package is missing: python3 -m pip install jsonschema\n")
    sys.exit(3)


def main():
    directory, name = sys.argv[1], sys.argv[2]
    lines = "--lines" in sys.argv[3:]
    resources = []
    for file in sorted(os.listdir(directory)):
        if file.endswith(".json"):
            with open(os.path.join(directory, file)) as f:
                schema = json.load(f)
            resources.append((schema["$id"], Resource.from_contents(schema)))
    registry = Registry().with_resources(resources)
    with open(os.path.join(directory, name + ".json")) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, registry=registry)
    text = sys.stdin.read()
    documents = [line for line in text.split("\n") if line] if lines else [text]
    if not documents:
        sys.stderr.write("no JSON document on stdin\n")
        return 1
    failed = 0
    for number, document in enumerate(documents, 1):
        try:
            value = json.loads(document)
        except ValueError as error:
            failed += 1
            sys.stderr.write(f"{name}: document {number}: not JSON: {error}\n")
            continue
        for error in validator.iter_errors(value):
            failed += 1
            where = "/".join(str(p) for p in error.absolute_path)
            sys.stderr.write(f"{name}: document {number}: /{where}: {error.message}\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
