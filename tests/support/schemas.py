"""Validates proxyctl's and proxyd's JSON against the published schemas in docs/schemas/.

The schemas refer to each other by file name (control-reply.schema.json#/$defs/...), so
every one is registered under its own name. Raises SkipSchemas when python3-jsonschema is
not installed (scripts/install-deps.sh installs it).
"""
import json
import os


class SkipSchemas(Exception):
    pass


class Schemas:
    def __init__(self, source_dir):
        try:
            import jsonschema
        except ImportError as e:
            raise SkipSchemas("python3-jsonschema is not installed") from e
        self.jsonschema = jsonschema
        directory = os.path.join(source_dir, "docs", "schemas")
        self.schemas = {}
        for name in sorted(os.listdir(directory)):
            if name.endswith(".schema.json"):
                with open(os.path.join(directory, name)) as f:
                    self.schemas[name] = json.load(f)
        try:
            from referencing import Registry, Resource
            from referencing.jsonschema import DRAFT202012
            self.registry = Registry().with_resources(
                (name, Resource.from_contents(s, default_specification=DRAFT202012))
                for name, s in self.schemas.items())
        except ImportError:  # jsonschema before 4.18 resolves through a store
            self.registry = None

    def validator(self, name):
        schema = self.schemas[name + ".schema.json"]
        cls = self.jsonschema.Draft202012Validator
        cls.check_schema(schema)
        if self.registry is not None:
            return cls(schema, registry=self.registry)
        resolver = self.jsonschema.RefResolver("", schema, store=dict(self.schemas))
        return cls(schema, resolver=resolver)

    def validate(self, name, document, what=""):
        """Raises AssertionError naming every violation of `name`.schema.json."""
        if isinstance(document, (str, bytes)):
            document = json.loads(document)
        errors = sorted(self.validator(name).iter_errors(document), key=lambda e: list(e.path))
        if errors:
            detail = "\n".join("  at %s: %s" % ("/".join(map(str, e.path)) or "(root)",
                                                 e.message[:300]) for e in errors[:10])
            raise AssertionError("%s does not match %s.schema.json:\n%s\n%s"
                                 % (what or "document", name, detail,
                                    json.dumps(document)[:2000]))
        return document


_cached = {}


def loads_valid(source_dir, name, text, what=""):
    """json.loads(text), validated against `name`.schema.json when python3-jsonschema is
    installed: for the tests whose subject is not the schema, the check is a bonus."""
    if source_dir not in _cached:
        try:
            _cached[source_dir] = Schemas(source_dir)
        except SkipSchemas:
            _cached[source_dir] = None
    schemas = _cached[source_dir]
    if schemas is None:
        return json.loads(text)
    return schemas.validate(name, text, what)
