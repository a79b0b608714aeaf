#!/usr/bin/env python3
"""Checks of schema/ivrsm-machine.schema.json against the example machines.

- the schema is a valid JSON Schema 2020-12 and documents every property;
- every examples/**/machine.yaml and machine.json validates;
- the YAML and JSON forms of one example load to the same data, key order included;
- every broken machine in tests/schema/invalid/ is rejected;
- the machines of the test suite that the library loads (tests/format, the
  format 1.1 machines; tests/machines; the validator's clean fixture)
  validate too: a key the library takes is a key the schema knows.

Needs only the standard library, python3-yaml and python3-jsonschema (4.10 or
later). Run it directly or through `meson test schema`.
"""

import glob
import json
import os
import re
import unittest

import jsonschema
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCHEMA_PATH = os.path.join(ROOT, "schema", "ivrsm-machine.schema.json")
INVALID_DIR = os.path.join(HERE, "invalid")
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
MIN_INVALID_MACHINES = 15
CONDITION_KEYWORDS = ("if", "then", "else", "not")


class Yaml12Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans: only true/false are booleans.

    PyYAML follows YAML 1.1, where yes/no/on/off are booleans too; in the
    machine format `yes:` and `no:` are intent names, as in YAML 1.2.
    """


# Fresh lists, so that SafeLoader's own resolver table stays untouched.
Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def load_machine(path):
    """Load a machine file as data: YAML 1.2 for .yaml/.yml, JSON for .json."""
    with open(path, encoding="utf-8") as f:
        if path.endswith(".json"):
            return json.load(f)
        return yaml.load(f, Loader=Yaml12Loader)


def load_schema():
    with open(SCHEMA_PATH, encoding="utf-8") as f:
        return json.load(f)


def relative(path):
    return os.path.relpath(path, ROOT)


def describe_errors(errors):
    """One line per validation error: where in the document, and what."""
    lines = []
    for error in sorted(errors, key=lambda e: list(map(str, e.absolute_path))):
        where = "/".join(str(p) for p in error.absolute_path) or "(document)"
        lines.append("  %s: %s" % (where, error.message))
    return "\n".join(lines)


def example_machines():
    patterns = ("machine.yaml", "machine.yml", "machine.json")
    found = []
    for pattern in patterns:
        found += glob.glob(os.path.join(ROOT, "examples", "**", pattern), recursive=True)
    return sorted(found)


def suite_machines():
    """Machines of the test suite that load without error, written for the format's features."""
    found = []
    for pattern in ("tests/format/*.yaml", "tests/machines/*.yaml", "tests/machines/*/machine.yaml"):
        found += glob.glob(os.path.join(ROOT, pattern))
    found.append(os.path.join(ROOT, "tests", "fixtures", "validate", "clean.yaml"))
    return sorted(found)


def invalid_machines():
    found = []
    for ext in ("yaml", "yml", "json"):
        found += glob.glob(os.path.join(INVALID_DIR, "*." + ext))
    return sorted(found)


def ordered(value):
    """The value with every map turned into a list of pairs, so that key order counts."""
    if isinstance(value, dict):
        return [(key, ordered(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [ordered(item) for item in value]
    return value


class SchemaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.schema = load_schema()
        cls.validator = jsonschema.Draft202012Validator(cls.schema)

    def test_schema_is_valid_2020_12(self):
        self.assertEqual(self.schema.get("$schema"), DRAFT_2020_12)
        jsonschema.Draft202012Validator.check_schema(self.schema)

    def test_every_property_has_title_and_description(self):
        missing = []

        def walk(node, where):
            if isinstance(node, dict):
                for name, sub in node.get("properties", {}).items():
                    if isinstance(sub, dict) and not (sub.get("title") and sub.get("description")):
                        missing.append(where + "/properties/" + name)
                for key, sub in node.items():
                    # Conditions restate properties documented elsewhere.
                    if key not in CONDITION_KEYWORDS:
                        walk(sub, where + "/" + key)
            elif isinstance(node, list):
                for index, sub in enumerate(node):
                    walk(sub, "%s/%d" % (where, index))

        walk(self.schema, "#")
        self.assertEqual(missing, [], "properties without title or description")

    def test_yaml12_loader_keeps_yes_and_no_as_strings(self):
        data = yaml.load("yes: 1\nno: 2\non: off\na: true\nb: False\n", Loader=Yaml12Loader)
        self.assertEqual(data, {"yes": 1, "no": 2, "on": "off", "a": True, "b": False})
        # The stock loader is left as it was (YAML 1.1).
        self.assertEqual(yaml.safe_load("yes: on"), {True: True})

    def test_examples_validate(self):
        machines = example_machines()
        self.assertTrue(any(m.endswith(".yaml") for m in machines), "no example machine.yaml")
        self.assertTrue(any(m.endswith(".json") for m in machines), "no example machine.json")
        for path in machines:
            with self.subTest(machine=relative(path)):
                errors = list(self.validator.iter_errors(load_machine(path)))
                self.assertEqual(errors, [], "%s does not validate:\n%s"
                                 % (relative(path), describe_errors(errors)))

    def test_suite_machines_validate(self):
        machines = suite_machines()
        self.assertGreaterEqual(len(machines), 8)
        for path in machines:
            with self.subTest(machine=relative(path)):
                errors = list(self.validator.iter_errors(load_machine(path)))
                self.assertEqual(errors, [], "%s does not validate:\n%s"
                                 % (relative(path), describe_errors(errors)))

    def test_examples_point_editors_at_the_schema(self):
        for path in example_machines():
            with self.subTest(machine=relative(path)):
                if path.endswith(".json"):
                    reference = load_machine(path).get("$schema", "")
                    self.assertEqual(list(load_machine(path))[0], "$schema")
                else:
                    with open(path, encoding="utf-8") as f:
                        first = f.readline().strip()
                    prefix = "# yaml-language-server: $schema="
                    self.assertTrue(first.startswith(prefix), first)
                    reference = first[len(prefix):]
                target = os.path.normpath(os.path.join(os.path.dirname(path), reference))
                self.assertEqual(target, SCHEMA_PATH)

    def test_yaml_and_json_examples_are_the_same_machine(self):
        pairs = 0
        for path in example_machines():
            if not path.endswith(".yaml"):
                continue
            twin = path[: -len(".yaml")] + ".json"
            if not os.path.exists(twin):
                continue
            pairs += 1
            with self.subTest(machine=relative(path)):
                from_yaml = load_machine(path)
                from_json = load_machine(twin)
                from_json.pop("$schema", None)
                from_yaml.pop("$schema", None)
                self.assertEqual(from_yaml, from_json)
                self.assertEqual(ordered(from_yaml), ordered(from_json), "key order differs")
        self.assertGreater(pairs, 0, "no example has both machine.yaml and machine.json")

    def test_invalid_machines_are_rejected(self):
        machines = invalid_machines()
        self.assertGreaterEqual(len(machines), MIN_INVALID_MACHINES,
                                "too few broken machines in %s" % relative(INVALID_DIR))
        unreadable = []
        accepted = []
        for path in machines:
            try:
                data = load_machine(path)
            except (yaml.YAMLError, ValueError) as error:
                # A broken machine must break the schema, not the parser.
                unreadable.append("%s: %s" % (relative(path), error))
                continue
            if self.validator.is_valid(data):
                accepted.append(relative(path))
        self.assertEqual(unreadable, [], "broken machines that do not even parse")
        self.assertEqual(accepted, [], "broken machines the schema accepts")


if __name__ == "__main__":
    unittest.main(verbosity=2)
