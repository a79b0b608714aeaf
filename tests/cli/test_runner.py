#!/usr/bin/env python3
"""ivrsm test: scenario files against the mock backend; results, diffs, coverage, snapshots."""

import pathlib
import re
import tempfile

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


class Errors(BackendTestCase):
    def test_broken_scenarios_exit_2_with_their_position(self):
        cases = {
            "unknown_key.yaml": f"{BROKEN}/unknown_key.yaml:6:7: unknown key 'sayz' in expect "
                                "(known: state, says, not_says, ask, http, ctx, handoff, ended)",
            "bad_yaml.yaml": f"{BROKEN}/bad_yaml.yaml:5:1: invalid YAML: missing comma in flow "
                             "mapping",
            "bad_machine.yaml": f"{BROKEN}/bad_machine.yaml:1:10: the machine of this scenario "
                                "does not load (see above)",
        }
        for name, message in cases.items():
            with self.subTest(name=name):
                r = run(["test", BROKEN / name])
                self.assertEqual(r.returncode, 2)
                self.assertIn(message, r.stderr)
                self.assertEqual(r.stdout.splitlines()[-1], "0 passed, 1 failed")

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
        self.assertIn("/no/such/scenario.yaml: cannot open: No such file or directory", r.stderr)

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


if __name__ == "__main__":
    clitest.main()
