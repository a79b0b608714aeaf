#!/usr/bin/env python3
"""ivrsm test: scenario files against the mock backend; results, diffs, coverage, snapshots."""

import json
import pathlib
import re
import tempfile
import unittest

import clitest
from clitest import SCENARIOS, BackendTestCase, run

PASSING = [SCENARIOS / "login_and_list.yaml", SCENARIOS / "handoff_and_failures.yaml"]
FAILING = SCENARIOS / "failing.yaml"
BROKEN = SCENARIOS / "broken"


class Results(BackendTestCase):
    def test_passing_scenarios_exit_0(self):
        r = run(["test", *PASSING, "--backend", self.backend])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[-1], "2 passed, 0 failed")
        self.assertIn("  ✓ expect state ivr.auth.consent", lines)
        self.assertIn('  ✓ expect says "Vous avez 3 rendez-vous à venir"', lines)
        self.assertIn("  ✓ expect http request_otp → 200", lines)
        self.assertIn('  ✓ expect ctx.phone_e164 = "+33612345678"', lines)
        self.assertIn("  ✓ expect handoff to care_queue_1", lines)
        self.assertIn("  ✓ expect ended by hangup", lines)
        self.assertFalse([line for line in lines if "✗" in line])
        summaries = [line for line in lines if re.match(r"^(PASS|FAIL) ", line)]
        self.assertEqual(summaries, [f"PASS {PASSING[0]} (30 checks)",
                                     f"PASS {PASSING[1]} (12 checks)"])

    def test_a_failing_scenario_exits_1_with_a_readable_diff(self):
        r = run(["test", FAILING])
        self.assertEqual(r.returncode, 1, r.stderr)
        out = r.stdout
        self.assertIn(f"  ✗ expect state ivr.auth.phone_capture  ({FAILING}:6)\n"
                      "      expected: ivr.auth.phone_capture\n"
                      "      actual:   ivr.handoff.agent_gate\n"
                      "      last commands:\n"
                      "        IVR  › Bonjour et bienvenue.", out)
        self.assertIn('        IVR  › Accès équipe. Pour continuer, dites "conseiller"', out)
        self.assertIn(f'  ✗ expect says "Bienvenue dans la zone équipe"  ({FAILING}:6)\n'
                      '      expected: a say/ask text containing "Bienvenue dans la zone équipe"'
                      " (case-sensitive)\n"
                      "      actual texts since the last caller input:\n"
                      '        ask: "Accès équipe.', out)
        self.assertIn("  ✓ expect ask\n  (stopped: 2 more steps not run)\n", out)
        self.assertIn(f"FAIL {FAILING} (2 of 3 checks failed)", out)
        self.assertEqual(out.splitlines()[-1], "0 passed, 1 failed")

    def test_a_directory_runs_its_scenarios_in_name_order(self):
        with tempfile.TemporaryDirectory() as tmp:
            machine = pathlib.Path(tmp) / "machine.yaml"
            machine.write_text(PHARMACY)
            scenarios = pathlib.Path(tmp) / "scenarios"
            (scenarios / "nested").mkdir(parents=True)
            for name in ("b.yaml", "a.yml", "c.json", "nested/d.yaml", ".hidden.yaml"):
                (scenarios / name).write_text("machine: ../machine.yaml\nsteps: [{expect: {state: menu}}]\n"
                                              if name.endswith("yaml") or name.endswith("yml") else
                                              '{"machine": "../machine.yaml", "steps": [{"expect": {"state": "menu"}}]}')
            (scenarios / "notes.txt").write_text("not a scenario")
            r = run(["test", str(scenarios) + "/"])
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            ran = [line.split()[1] for line in r.stdout.splitlines() if line.startswith("PASS")]
            self.assertEqual(ran, [f"{scenarios}/{n}" for n in ("a.yml", "b.yaml", "c.json")])
            self.assertEqual(r.stdout.splitlines()[-1], "3 passed, 0 failed")
            empty = pathlib.Path(tmp) / "empty"
            empty.mkdir()
            r = run(["test", scenarios / "b.yaml", empty])
            self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
            self.assertIn(f"{empty}: no scenario (*.yaml, *.yml, *.json) in this directory", r.stderr)
            self.assertEqual(r.stdout.splitlines()[-1], "1 passed, 1 failed")

    def test_pass_and_fail_together_count_scenarios(self):
        r = run(["test", PASSING[1], FAILING, "--backend", self.backend])
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout.splitlines()[-1], "1 passed, 1 failed")

    def test_a_wrong_http_expectation_lists_the_requests_sent(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = pathlib.Path(tmp) / "http.yaml"
            path.write_text(
                f"machine: {clitest.MACHINE}\n"
                "setup: [{method: POST, path: /_mock/reset}]\n"
                "steps:\n"
                "  - dtmf: '1'\n"
                "  - dtmf: '0612345678#'\n"
                "  - expect:\n"
                "      http: {endpoint: request_otp, body: {channel: whatsapp}, status: 200}\n")
            r = run(["test", path, "--backend", self.backend])
        self.assertEqual(r.returncode, 1)
        self.assertIn("  ✗ expect http request_otp → 200", r.stdout)
        self.assertIn('          with a body containing {"channel":"whatsapp"}', r.stdout)
        self.assertIn("        PUT /auth/request-otp (request_otp) → 200\n"
                      '          body {"phone_e164":"+33612345678","channel":"sms"', r.stdout)

    def test_the_verbose_flag_shows_the_dialogue(self):
        r = run(["test", FAILING, "--verbose"])
        self.assertIn("    YOU  ‹ dtmf 2\n    IVR  › Accès équipe.", r.stdout)


class Clock(unittest.TestCase):
    """--now sets the clock of the scenarios that have no now: of their own."""

    def test_now_option_and_scenario_now(self):
        hours = clitest.ROOT / "tests" / "format" / "hours.yaml"
        with tempfile.TemporaryDirectory() as tmp:
            path = pathlib.Path(tmp) / "open.yaml"
            path.write_text(f"machine: {hours}\nsteps:\n  - expect: {{state: open}}\n")
            r = run(["test", path, "--now", "2026-11-25T10:05:00+01:00"])
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            r = run(["test", path, "--now", "2026-11-29T10:05:00+01:00"])
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("actual:   closed", r.stdout)
            # A scenario's own now: wins over --now.
            path.write_text(f"machine: {hours}\nnow: 2026-11-25T10:05:00+01:00\n"
                            "steps:\n  - expect: {state: open}\n")
            r = run(["test", path, "--now", "2026-11-29T10:05:00+01:00"])
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            r = run(["test", path, "--now", "tomorrow"])
            self.assertEqual(r.returncode, 2)
            self.assertIn("--now takes an ISO 8601 time", r.stderr)


class Errors(BackendTestCase):
    def test_broken_scenarios_exit_2_with_their_position(self):
        cases = {
            "unknown_key.yaml": f"{BROKEN}/unknown_key.yaml:6:7: unknown key 'sayz' in expect; "
                                "did you mean 'says'? (known: state, says, not_says, plays, language, ask, http, ctx, handoff, ended)",
            # Scenarios are read by the library's document reader: its messages.
            "bad_yaml.yaml": f"{BROKEN}/bad_yaml.yaml:5:1: YAML syntax error: missing comma in "
                             "flow mapping",
            "duplicate_key.yaml": f"{BROKEN}/duplicate_key.yaml:5:1: duplicate key 'steps' "
                                  "(first defined at line 3, column 1)",
            "bad_machine.yaml": f"{BROKEN}/bad_machine.yaml:1:10: the machine of this scenario "
                                "does not load (see above)",
        }
        for name, message in cases.items():
            with self.subTest(name=name):
                r = run(["test", BROKEN / name])
                self.assertEqual(r.returncode, 2)
                self.assertIn(message, r.stderr)
                self.assertEqual(r.stdout.splitlines()[-1], "0 passed, 1 failed")

    def test_an_alias_bomb_is_refused_at_once(self):
        """A "billion laughs" scenario is refused at the alias that passes the
        bound, as a machine would be, instead of being expanded (gigabytes)."""
        with tempfile.TemporaryDirectory() as tmp:
            path = pathlib.Path(tmp) / "laughs.yaml"
            lines = [f"machine: {clitest.MACHINE}", 'a: &a ["lol","lol","lol","lol","lol","lol"]']
            for prev, name in zip("abcdefghi", "bcdefghij"):
                lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
            lines.append("steps: [{dtmf: '1'}]")
            path.write_text("\n".join(lines) + "\n")
            r = run(["test", path])
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"{path}:7:17: the document has more than 200000 nodes (aliases count as "
                      "the nodes they repeat)", r.stderr)

    def test_an_error_wins_over_a_failure(self):
        r = run(["test", FAILING, BROKEN / "unknown_key.yaml"])
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stdout.splitlines()[-1], "0 passed, 2 failed")

    def test_setup_without_a_backend_is_an_error(self):
        r = run(["test", PASSING[0]])
        self.assertEqual(r.returncode, 2)
        self.assertIn("login_and_list.yaml:8: the setup requests need a backend: give --backend URL",
                      r.stderr)

    def test_usage_errors(self):
        self.assertEqual(run(["test"]).returncode, 2)
        r = run(["test", FAILING, "--bogus"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown option '--bogus'", r.stderr)
        r = run(["test", "/no/such/scenario.yaml"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("/no/such/scenario.yaml: cannot open the file: No such file or directory", r.stderr)

    def test_no_http_expectation(self):
        """http: false (or []) passes on a step without http and fails on one with it."""
        with tempfile.TemporaryDirectory() as tmp:
            path = pathlib.Path(tmp) / "nohttp.yaml"
            path.write_text(f"machine: {clitest.MACHINE}\n"
                            "steps:\n"
                            "  - dtmf: '1'\n"
                            "  - expect: {state: ivr.auth.phone_capture, http: []}\n"
                            "  - dtmf: '0612345678#'\n"
                            "  - expect: {http: false}\n")
            r = run(["test", path, "--backend", self.backend])
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("  ✓ expect no http command", r.stdout)
        self.assertIn("  ✗ expect no http command", r.stdout)
        self.assertIn("PUT /auth/request-otp", r.stdout)

    def test_ctx_null_expects_a_key_unset(self):
        """ctx: {key: null} passes while the key is missing or null, and fails once it holds
        a value: a scenario can check that a wrong entry stored nothing."""
        with tempfile.TemporaryDirectory() as tmp:
            path = pathlib.Path(tmp) / "unset.yaml"
            path.write_text(f"machine: {clitest.MACHINE}\n"
                            "ctx: {channel_hint: null}\n"
                            "steps:\n"
                            "  - expect: {ctx: {phone_e164: null, channel_hint: null}}\n"
                            "  - dtmf: '1'\n"
                            "  - dtmf: '0612345678#'\n"
                            "  - expect: {ctx: {phone_e164: null}}\n")
            r = run(["test", path, "--backend", self.backend])
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("  ✓ expect ctx.phone_e164 unset (missing or null)\n"
                      "  ✓ expect ctx.channel_hint unset (missing or null)\n", r.stdout)
        self.assertIn("  ✗ expect ctx.phone_e164 unset (missing or null)", r.stdout)
        self.assertIn('      actual:   "+33612345678"', r.stdout)

    def test_language_expectation(self):
        """language: passes when every say/ask/handoff since the last input is in it, and
        fails on another language or when nothing was said."""
        machine = clitest.ROOT / "examples" / "synergia_rdv_en" / "machine.yaml"
        with tempfile.TemporaryDirectory() as tmp:
            path = pathlib.Path(tmp) / "language.yaml"
            path.write_text(f"machine: {machine}\n"
                            "steps:\n"
                            "  - expect: {language: en-US}\n"
                            "  - dtmf: '9'\n"
                            "  - expect: {language: fr-FR}\n"
                            "  - dtmf: '9'\n"
                            "  - expect: {language: fr-FR}\n")
            r = run(["test", path])
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("  ✓ expect language en-US", r.stdout)
        self.assertIn("  ✓ expect language fr-FR", r.stdout)
        self.assertIn("  ✗ expect language fr-FR", r.stdout)
        self.assertIn("      expected: every say, ask and handoff in fr-FR\n"
                      "      actual:   one in en-US", r.stdout)

    def test_ask_fields_expectation(self):
        """ask: {fields} passes when the last ask has them (the keypad bounds of a collect),
        fails with what the ask had, and an unknown field is an error where it is written."""
        machine = clitest.ROOT / "tests" / "format" / "outage.yaml"
        with tempfile.TemporaryDirectory() as tmp:
            path = pathlib.Path(tmp) / "ask.yaml"
            path.write_text(f"machine: {machine}\n"
                            "ctx: {caller_number: '+33612345678'}\n"
                            "responses: {outage: {status: 200, body: {outage: false}}}\n"
                            "steps:\n"
                            "  - expect: {ask: {max_digits: 1, dtmf: true}}\n"
                            "  - dtmf: '1'\n"
                            "  - expect: {ask: {min_digits: 14, max_digits: 14, collect: digits}}\n"
                            "  - expect: {ask: {max_digits: 16}}\n")
            r = run(["test", path])
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn('  ✓ expect ask {"min_digits":14,"max_digits":14,"collect":"digits"}',
                          r.stdout)
            self.assertIn('  ✗ expect ask {"max_digits":16}', r.stdout)
            self.assertIn('      expected: the last ask with {"max_digits":16}\n'
                          '      actual:   {"max_digits":14}', r.stdout)
            path.write_text(f"machine: {machine}\n"
                            "steps:\n"
                            "  - expect: {ask: {max_digit: 1}}\n")
            r = run(["test", path])
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("ask.yaml:3:20: unknown key 'max_digit' in ask; did you mean 'max_digits'?",
                      r.stdout + r.stderr)

    def test_a_failing_setup_request_fails_the_scenario(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = pathlib.Path(tmp) / "setup.yaml"
            path.write_text(f"machine: {clitest.MACHINE}\n"
                            "setup:\n"
                            "  - {method: POST, path: /_mock/fail, body: {endpoint: nope, spec: x}}\n"
                            "steps:\n  - expect: {state: ivr.entry}\n")
            r = run(["test", path, "--backend", self.backend])
        self.assertEqual(r.returncode, 1)
        self.assertIn("✗ setup request 1 failed", r.stdout)
        self.assertIn("POST /_mock/fail → 422", r.stdout)


class CoverageAndSnapshots(BackendTestCase):
    def test_coverage_counts_states_and_transitions(self):
        r = run(["test", *PASSING, "--backend", self.backend, "--coverage"])
        self.assertEqual(r.returncode, 0, r.stdout)
        out = r.stdout
        self.assertIn("coverage of ", out)
        self.assertIn("examples/synergia_rdv/machine.yaml (synergia_rdv_mvp_ivr 1.0.0), "
                      "2 scenarios", out)
        states = re.search(r"states visited: +(\d+) of (\d+) \((\d+\.\d)%\)", out)
        transitions = re.search(r"transitions exercised: +(\d+) of (\d+) \((\d+\.\d)%\)", out)
        self.assertIsNotNone(states, out)
        self.assertIsNotNone(transitions, out)
        visited, total = int(states[1]), int(states[2])
        self.assertEqual(total, 37)
        self.assertGreaterEqual(visited, 15)
        self.assertAlmostEqual(float(states[3]), 100 * visited / total, delta=0.05)
        self.assertGreater(int(transitions[2]), 100)
        self.assertIn("    ivr.entry → ivr.auth.phone_capture  route take_appointment "
                      "(via dtmf, speech/intent)  ×2", out)
        self.assertIn("    ivr.auth.request_otp → ivr.auth.request_otp.fail_menu  fail  ×1", out)
        self.assertIn("    ivr.handoff.to_agent → ivr.portal.send_link  fail  ×1", out)
        never = out.split("states never visited")[1]
        self.assertIn("    ivr.cancel.reason\n", never)
        self.assertNotIn("    ivr.entry\n", never)
        self.assertNotIn("transitions never exercised", out)
        verbose = run(["test", *PASSING, "--backend", self.backend, "--coverage", "--verbose"])
        self.assertIn("transitions never exercised", verbose.stdout)
        self.assertIn("    ivr.cancel.after → ivr.goodbye  fallback", verbose.stdout)

    def test_coverage_counts_the_transitions_graph_draws(self):
        # The machine's transition list is one (lib/model/graph.c): a prompt_end
        # state ends the call, so its `next` is no transition, for the
        # validator, `ivrsm graph` and coverage alike (coverage used to count it).
        with tempfile.TemporaryDirectory() as tmp:
            machine = pathlib.Path(tmp) / "machine.yaml"
            machine.write_text(
                'machine: coverage_rules\nversion: "1"\nlocale: fr-FR\ntimezone: Europe/Paris\n'
                'intents:\n  yes: {utterances: ["oui"], dtmf: ["1"]}\n'
                "states:\n"
                "  menu:\n    type: prompt_and_listen\n    prompt: Tapez 1.\n"
                "    routes: [{when_intent: yes, next: done}]\n"
                "    fallback: {next: done}\n"
                "  done:\n    type: prompt_end\n    prompt: Au revoir.\n    next: menu\n")
            scenario = pathlib.Path(tmp) / "scenario.yaml"
            scenario.write_text(f"machine: {machine}\nsteps:\n  - dtmf: '1'\n"
                                "  - expect: {ended: hangup}\n")
            r = run(["test", scenario, "--coverage", "--verbose"])
            graph = run(["graph", machine])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("  transitions exercised: 1 of 2 (50.0%)\n", r.stdout)
        never = r.stdout.split("transitions never exercised (1):\n")[1]
        self.assertTrue(never.startswith("    menu → done  fallback\n"), r.stdout)
        self.assertNotIn("done → menu", r.stdout)
        self.assertIn('"menu" -> "done" [label="yes\\nfallback"];', graph.stdout)
        self.assertNotIn('"done" -> "menu"', graph.stdout)

    def test_snapshots_run_each_scenario_again_with_restores(self):
        r = run(["test", *PASSING, "--backend", self.backend, "--snapshots"])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        snapshot_lines = [line for line in r.stdout.splitlines() if "snapshots" in line]
        self.assertEqual(len(snapshot_lines), 2)
        for line in snapshot_lines:
            self.assertRegex(line, r"^  ✓ snapshots: \d+ commands identical with a restore after "
                                   r"every event$")
        self.assertEqual(r.stdout.splitlines()[-1], "2 passed, 0 failed")


PHARMACY = """\
machine: pharmacy_hours
version: "1.0.0"
globals:
  endpoints:
    get_hours: "GET /hours"
intents:
  hours: {utterances: ["horaires"], dtmf: ["1"]}
states:
  menu:
    type: prompt_and_listen
    prompt: "Tapez 1."
    routes: [{when_intent: hours, next: hours}]
    fallback: {next: goodbye}
  hours:
    type: action_then_prompt
    action: {call: "${globals.endpoints.get_hours}"}
    on_success: {prompt_template: "Ouvert {{resp.voice_hours}}.", next: menu}
    on_fail: {next: agent}
  agent:
    type: handoff
    enabled: true
    queue_id: desk
    on_success: {next: menu}
    on_fail: {next: goodbye}
  goodbye:
    type: prompt_end
    prompt: "Au revoir."
"""


class CannedAnswers(BackendTestCase):
    """responses: and handoff lists make a scenario run without a backend."""

    def write(self, tmp, body):
        machine = pathlib.Path(tmp) / "machine.yaml"
        machine.write_text(PHARMACY)
        scenario = pathlib.Path(tmp) / "s.yaml"
        scenario.write_text("machine: machine.yaml\n" + body)
        return scenario

    def test_answers_in_turn_and_handoffs_in_turn(self):
        with tempfile.TemporaryDirectory() as tmp:
            scenario = self.write(tmp, """\
responses:
  get_hours: [{status: 503}, {status: 200, body: {voice_hours: "de 9h à 18h"}}]
handoff: [ok, fail]
steps:
  - dtmf: "1"
  - expect: {state: menu, http: {endpoint: get_hours, status: 503}, handoff: true}
  - dtmf: "1"
  - expect: {state: menu, says: "Ouvert de 9h à 18h.", http: {status: 200}, handoff: false}
  - dtmf: "1"
  - expect: {http: {status: 200}}
""")
            r = run(["test", scenario])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout.splitlines()[-1], "1 passed, 0 failed")

    def test_a_handoff_list_repeats_its_last_answer(self):
        with tempfile.TemporaryDirectory() as tmp:
            scenario = self.write(tmp, """\
responses: {get_hours: {status: 500}}
handoff: [ok, fail]
steps:
  - dtmf: "1"
  - expect: {state: menu}
  - dtmf: "1"
  - expect: {ended: hangup}
""")
            r = run(["test", scenario])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_a_call_without_an_answer_fails_the_scenario(self):
        with tempfile.TemporaryDirectory() as tmp:
            scenario = self.write(tmp, "responses: {other: {status: 200}}\n"
                                       "steps:\n  - dtmf: '1'\n")
            r = run(["test", scenario])
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("responses: has no answer for endpoint get_hours nor for GET /hours",
                      r.stdout)

    def test_an_answer_for_no_endpoint_is_reported_at_its_key(self):
        with tempfile.TemporaryDirectory() as tmp:
            scenario = self.write(tmp, "responses: {get_hourz: {status: 200}, 'GET /x': {status: 200},"
                                       " get_hours: {status: 200, body: {voice_hours: tôt}}}\n"
                                       "steps:\n  - dtmf: '1'\n  - expect: {says: Ouvert tôt}\n")
            r = run(["test", scenario])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stderr.splitlines(), [
            f"{scenario}:2:13: warning: 'get_hourz' is no endpoint of {scenario.parent}/machine.yaml "
            "(its endpoints: get_hours); a call that names no endpoint is answered by \"METHOD /path\""])

    def test_a_clock_without_offset_is_utc_and_a_warning_says_so(self):
        # PHARMACY has no timezone (UTC): nothing to say; with one, the warning
        # points at now:, and --now is noted once for the scenarios that use it.
        with tempfile.TemporaryDirectory() as tmp:
            scenario = self.write(tmp, "now: 2026-11-25T10:00\nsteps:\n  - expect: {state: menu}\n")
            r = run(["test", scenario])
            self.assertEqual((r.returncode, r.stderr), (0, ""))
            machine = pathlib.Path(tmp) / "machine.yaml"
            machine.write_text(PHARMACY.replace('version: "1.0.0"\n',
                                                'version: "1.0.0"\ntimezone: America/Chicago\n'))
            r = run(["test", scenario])
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(r.stderr.splitlines(), [
                f"{scenario}:2:6: warning: '2026-11-25T10:00' has no UTC offset, so it is a UTC "
                "time, not a time in America/Chicago (the machine's timezone): add the offset to "
                "mean a time there (2026-11-25T10:00:00+01:00 is 10:00 one hour ahead of UTC)"])
            scenario.write_text("machine: machine.yaml\nsteps:\n  - expect: {state: menu}\n")
            r = run(["test", scenario, scenario, "--now", "2026-11-25"])
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
            self.assertTrue(r.stderr.startswith("ivrsm test: --now: warning: '2026-11-25' has no UTC"))
            r = run(["test", scenario, "--now", "2026-11-25T10:00-06:00"])
            self.assertEqual((r.returncode, r.stderr), (0, ""))

    def test_a_scenario_that_needs_a_backend_not_given_exits_2(self):
        # A machine's http call with no answer and no --backend: the run lacks
        # what the scenario needs, which is not the machine's failure.
        with tempfile.TemporaryDirectory() as tmp:
            scenario = self.write(tmp, "steps:\n  - dtmf: '1'\n  - expect: {state: menu}\n")
            r = run(["test", scenario])
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("but no backend was given (give --backend URL", r.stdout)
        self.assertIn(f"ERROR {scenario} (needs a backend: give --backend URL)", r.stdout)
        self.assertEqual(r.stdout.splitlines()[-1], "0 passed, 1 failed")

    def test_canned_answers_come_before_the_backend(self):
        # The seed against the mock: request_otp is canned (a 503 the mock
        # would not give), the rest goes to the mock.
        with tempfile.TemporaryDirectory() as tmp:
            scenario = pathlib.Path(tmp) / "s.yaml"
            scenario.write_text(f"machine: {clitest.MACHINE}\n"
                                "responses: {request_otp: {status: 503, body: {error: down}}}\n"
                                "steps:\n  - dtmf: '1'\n  - dtmf: '0612345678#'\n"
                                "  - expect: {state: ivr.auth.request_otp.fail_menu,"
                                " http: {endpoint: request_otp, status: 503}}\n")
            r = run(["test", scenario, "--backend", self.backend])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_bad_answers_are_reported_where_they_are(self):
        # Positions are the library reader's: a list or map is where it opens.
        cases = {
            "responses: [1]\n": ":2:12: responses must be a map",
            "responses: {x: {status: 200, bodyy: 1}}\n": ":2:30: unknown key 'bodyy' in an answer; "
                                                        "did you mean 'body'?",
            "responses: {x: {status: 200, colour: 1}}\n": ":2:30: unknown key 'colour' in an answer "
                                                         "(known:",
            "responses: {x: {status: 1000}}\n": ":2:25: status must be a whole number from 0 to 599",
            "responses: {x: []}\n": ":2:13: a list of answers must not be empty",
            "handoff: [ok, maybe]\n": ":2:15: handoff must be ok or fail, or a list of them",
        }
        for text, message in cases.items():
            with self.subTest(text=text), tempfile.TemporaryDirectory() as tmp:
                scenario = self.write(tmp, text + "steps:\n  - dtmf: '1'\n")
                r = run(["test", scenario])
                self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
                self.assertIn(str(scenario) + message, r.stderr)


class JsonOutput(BackendTestCase):
    def test_json_results_and_coverage_on_stdout_report_on_stderr(self):
        r = run(["test", *PASSING, FAILING, "--backend", self.backend, "--coverage", "--json"])
        self.assertEqual(r.returncode, 1, r.stderr)
        doc = json.loads(r.stdout)
        self.assertEqual(doc["format"], "ivrsm-test/1")
        self.assertEqual((doc["passed"], doc["failed"]), (2, 1))
        self.assertEqual([s["result"] for s in doc["scenarios"]], ["pass", "pass", "fail"])
        self.assertEqual(doc["scenarios"][2]["file"], str(FAILING))
        self.assertIn("2 passed, 1 failed", r.stderr)
        (cov,) = doc["coverage"]
        self.assertEqual((cov["name"], cov["version"], cov["scenarios"]),
                         ("synergia_rdv_mvp_ivr", "1.0.0", 3))
        self.assertEqual(len(cov["states"]), cov["summary"]["states"])
        self.assertEqual(len(cov["transitions"]), cov["summary"]["transitions"])
        self.assertEqual(sum(1 for s in cov["states"] if s["visits"]),
                         cov["summary"]["states_visited"])
        self.assertEqual(sum(1 for t in cov["transitions"] if t["hits"]),
                         cov["summary"]["transitions_exercised"])
        first = next(t for t in cov["transitions"]
                     if t["from"] == "ivr.entry" and t.get("label") == "take_appointment")
        self.assertEqual(first["kind"], "route")
        self.assertEqual(first["hits"], 2)
        self.assertEqual(first["via"], ["dtmf", "intent"])
        # The readable report says the same numbers.
        m = re.search(r"transitions exercised: +(\d+) of (\d+)", r.stderr)
        self.assertEqual((int(m[1]), int(m[2])), (cov["summary"]["transitions_exercised"],
                                                  cov["summary"]["transitions"]))

    def test_json_without_coverage_has_an_empty_coverage_list(self):
        r = run(["test", FAILING, "--json"])
        doc = json.loads(r.stdout)
        self.assertEqual(doc["coverage"], [])
        self.assertEqual(doc["scenarios"][0]["result"], "fail")


if __name__ == "__main__":
    clitest.main()
