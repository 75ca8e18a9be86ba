"""An independent reading of the published schemas, as an editor does it (test/spec/editor-schemas.test.ts).

python-jsonschema's Draft7Validator, with a `referencing` registry that loads every schema by its
file URI, so a relative `$ref` (`steps/train.schema.json`) resolves against the file that holds it,
the way yaml-language-server resolves it. No project code is used.

stdin: {"schema": "<absolute path of the root schema>", "documents": [{"name": ..., "data": ...}]}
stdout: {"schemas": [<file URI of every schema loaded>],
         "results": [{"name": ..., "errors": [{"path": "/steps/a/with/x", "message": ...}]}]}
Exit 0 when it ran (whatever it found); 3 when jsonschema or referencing is not importable; 2 when a
schema is not a valid draft-07 schema.
"""
import json
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

try:
    from jsonschema import Draft7Validator
    from jsonschema.exceptions import SchemaError
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7
except ImportError as e:  # the test skips (or, in CI, fails) on this
    print(f"python jsonschema is not importable: {e}", file=sys.stderr)
    sys.exit(3)


def main() -> int:
    request = json.load(sys.stdin)
    root_uri = Path(request["schema"]).resolve().as_uri()
    loaded: dict[str, dict] = {}

    def retrieve(uri: str) -> Resource:
        parsed = urlparse(uri)
        if parsed.scheme != "file":
            raise ValueError(f"only file URIs are resolved here, not {uri}")
        contents = json.loads(Path(unquote(parsed.path)).read_text(encoding="utf8"))
        loaded[uri] = contents
        # Draft 7 whatever the file says, as the root's `$schema` says for the whole tree.
        return Resource.from_contents(contents, default_specification=DRAFT7)

    registry = Registry(retrieve=retrieve)
    # The root by reference: the validator follows it into the file, whose URI becomes the base of
    # the relative references inside it (and in the step files, their own URIs).
    validator = Draft7Validator({"$ref": root_uri}, registry=registry)
    results = []
    for doc in request["documents"]:
        errors = sorted(validator.iter_errors(doc["data"]), key=lambda e: list(e.absolute_path))
        results.append({
            "name": doc["name"],
            "errors": [{"path": "/" + "/".join(str(p) for p in e.absolute_path), "message": best(e)} for e in errors],
        })
    # Every schema the documents reached (and the root) must itself be a valid draft-07 schema.
    retrieve(root_uri)
    for uri, contents in sorted(loaded.items()):
        try:
            Draft7Validator.check_schema(contents)
        except SchemaError as e:
            print(f"{uri}: not a valid draft-07 schema: {e.message}", file=sys.stderr)
            return 2
    json.dump({"schemas": sorted(loaded), "results": results}, sys.stdout)
    return 0


def best(error) -> str:
    """The deepest cause of an anyOf/allOf failure: what an editor underlines."""
    from jsonschema.exceptions import best_match

    if error.context:
        inner = best_match(error.context)
        if inner is not None:
            return f"{error.message} ({inner.message} at /{'/'.join(str(p) for p in inner.absolute_path)})"
    return error.message


if __name__ == "__main__":
    sys.exit(main())
