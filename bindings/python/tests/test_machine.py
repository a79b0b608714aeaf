"""Loading machines, load errors with their positions, and check()."""

import json
import pathlib
import re
import unittest

from support import DANGLING, MENU, SEED, SEED_JSON, TESTDATA, WARNING

import ivrsm


class LoadTest(unittest.TestCase):
    def test_load_file_copies_name_version_and_states(self):
        with ivrsm.Machine.load(MENU) as m:
            self.assertEqual(m.name, "bindings_menu")
            self.assertEqual(m.version, "1.0")
            self.assertEqual(m.states, ["menu", "hours", "more", "agent", "goodbye"])
            self.assertEqual(m.initial_state, "menu")
            self.assertEqual(m.state_types["hours"], "action_then_prompt")
            self.assertEqual(m.state_types["agent"], "handoff")
        self.assertTrue(m.closed)
        # Copied at load time: still readable once closed.
        self.assertEqual(m.name, "bindings_menu")
        self.assertIn("closed", repr(m))

    def test_seed_in_yaml_and_json_is_the_same_machine(self):
        yaml_machine = ivrsm.Machine.load(SEED)
        json_machine = ivrsm.Machine.load(str(SEED_JSON))
        self.assertEqual(yaml_machine.name, "synergia_rdv_mvp_ivr")
        self.assertEqual(yaml_machine.version, "1.0.0")
        self.assertEqual(yaml_machine.states, json_machine.states)
        self.assertEqual(yaml_machine.initial_state, "ivr.entry")
        self.assertIn("ivr.auth.verify_otp", yaml_machine.states)

    def test_from_string_yaml_and_json(self):
        yaml_text = MENU.read_text(encoding="utf-8")
        m = ivrsm.Machine.from_string(yaml_text)
        self.assertEqual(m.name, "bindings_menu")
        doc = {
            "machine": "tiny",
            "version": "2",
            "states": {"bye": {"type": "prompt_end", "prompt": "Au revoir."}},
        }
        j = ivrsm.Machine.from_string(json.dumps(doc), format="json")
        self.assertEqual((j.name, j.version, j.states), ("tiny", "2", ["bye"]))
        auto = ivrsm.Machine.from_string(json.dumps(doc).encode(), format="auto")
        self.assertEqual(auto.states, ["bye"])

    def test_semantic_error_names_file_line_column_and_path(self):
        with self.assertRaises(ivrsm.LoadError) as cm:
            ivrsm.Machine.load(DANGLING)
        e = cm.exception
        self.assertEqual(e.code, ivrsm.EMACHINE)
        self.assertEqual(e.code_name, "EMACHINE")
        self.assertEqual(e.file, str(DANGLING))
        self.assertEqual((e.line, e.column), (13, 15))
        self.assertEqual(e.path, "states.ask.routes[0].next")
        self.assertEqual(e.message, "next: no state named 'nowhere'")
        self.assertEqual(
            str(e),
            f"{DANGLING}:13:15: next: no state named 'nowhere' (at states.ask.routes[0].next)",
        )
        self.assertIsInstance(e, ivrsm.Error)

    def test_syntax_error_in_a_buffer_uses_its_name(self):
        text = "machine: demo\nversion: \"1\"\nstates: [unclosed\n"
        with self.assertRaises(ivrsm.LoadError) as cm:
            ivrsm.Machine.from_string(text, name="inline.yaml")
        e = cm.exception
        self.assertEqual(e.code, ivrsm.ESYNTAX)
        self.assertEqual(e.file, "inline.yaml")
        self.assertGreater(e.line, 0)
        self.assertIn("YAML syntax error", e.message)

    def test_unknown_key_in_json(self):
        text = '{"machine": "m", "version": "1", "colour": "blue",\n "states": {}}'
        with self.assertRaises(ivrsm.LoadError) as cm:
            ivrsm.Machine.from_string(text, format="json")
        e = cm.exception
        self.assertEqual(e.code, ivrsm.EMACHINE)
        self.assertEqual(e.file, "<buffer>")
        self.assertEqual((e.line, e.column), (1, 34))
        self.assertEqual(e.path, "colour")
        self.assertIn("colour", e.message)

    def test_missing_file_is_an_io_error(self):
        missing = TESTDATA / "no-such-machine.yaml"
        with self.assertRaises(ivrsm.LoadError) as cm:
            ivrsm.Machine.load(missing)
        self.assertEqual(cm.exception.code, ivrsm.EIO)
        self.assertEqual(cm.exception.file, str(missing))

    def test_bad_arguments_are_refused_before_the_library(self):
        with self.assertRaisesRegex(ValueError, "format must be one of auto, yaml, json"):
            ivrsm.Machine.load(MENU, format="xml")
        with self.assertRaisesRegex(ValueError, "NUL"):
            ivrsm.Machine.load("menu\0.yaml")
        with self.assertRaises(TypeError):
            ivrsm.Machine.from_string(42)

    def test_a_closed_machine_makes_no_session(self):
        m = ivrsm.Machine.load(MENU)
        m.close()
        m.close()
        with self.assertRaisesRegex(ValueError, "machine 'bindings_menu' is closed"):
            m.session()

    def test_library_version(self):
        # The version is written once, in meson.build; everything else follows it.
        root = pathlib.Path(__file__).resolve().parents[3]
        meson = re.search(r"version: '([^']+)'", (root / "meson.build").read_text())[1]
        self.assertEqual(ivrsm.library_version(), meson)
        self.assertEqual(ivrsm.__version__, meson)
        pyproject = (root / "bindings/python/pyproject.toml").read_text()
        self.assertIn(f'version = "{meson}"', pyproject)
        package = json.loads((root / "bindings/node/package.json").read_text())
        self.assertEqual(package["version"], meson)


class CheckTest(unittest.TestCase):
    def test_warning_with_rule_and_position(self):
        found = ivrsm.check(WARNING)
        self.assertEqual(
            found,
            [
                ivrsm.Diagnostic(
                    "warning",
                    8,
                    3,
                    "states.orphan",
                    "unreachable-state",
                    "state 'orphan' is unreachable from the initial state 'hello'",
                )
            ],
        )
        # A warning never stops a load.
        self.assertEqual(ivrsm.Machine.load(WARNING).states, ["hello", "orphan"])

    def test_error_diagnostic(self):
        (d,) = ivrsm.check(DANGLING)
        self.assertEqual(d.severity, "error")
        self.assertEqual(d.rule, "dangling-next")
        self.assertEqual((d.line, d.column, d.path), (13, 15, "states.ask.routes[0].next"))

    def test_host_supplied_ctx_keys_are_warned_about(self):
        rules = {(d.severity, d.rule, d.line) for d in ivrsm.check(MENU)}
        self.assertEqual(
            rules,
            {
                ("warning", "template-path-never-set", 46),
                ("warning", "template-path-never-set", 50),
                ("warning", "template-path-never-set", 52),
            },
        )

    def test_check_string(self):
        text = WARNING.read_text(encoding="utf-8")
        (d,) = ivrsm.check_string(text, name="w.yaml")
        self.assertEqual(d.rule, "unreachable-state")
        self.assertEqual(ivrsm.check_string(text.replace("  orphan:", "  orphan_typo:")), [
            ivrsm.Diagnostic(
                "warning",
                8,
                3,
                "states.orphan_typo",
                "unreachable-state",
                "state 'orphan_typo' is unreachable from the initial state 'hello'",
            )
        ])

    def test_unreadable_file(self):
        with self.assertRaises(ivrsm.Error) as cm:
            ivrsm.check(TESTDATA / "no-such-machine.yaml")
        self.assertEqual(cm.exception.code, ivrsm.EIO)
        self.assertIn("no-such-machine.yaml", str(cm.exception))


if __name__ == "__main__":
    unittest.main()
