#!/usr/bin/env python3
"""Write a machine of N states (default 500) to stdout: menus of three choices
in a tree, each leaf calling the backend, with handoffs and goodbyes, so that
every state type and transition kind appears at scale.

    big_machine.py [N] > big.yaml
"""
import sys


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    out = ['machine: big_tree', 'version: "1.0.0"', 'locale: fr-FR', 'timezone: Europe/Paris',
           'globals:', '  handoff: {enabled: true, queue_id: desk}',
           '  endpoints: {lookup: "GET /lookup/{id}"}',
           'intents:',
           '  one: {utterances: ["un"], dtmf: ["1"]}',
           '  two: {utterances: ["deux"], dtmf: ["2"]}',
           '  three: {utterances: ["trois"], dtmf: ["3"]}',
           '  agent: {utterances: ["conseiller"], dtmf: ["0"]}',
           'states:']
    # State 0 is the root menu; menu i has children 3i+1..3i+3 while they exist.
    fixed = ["agent", "goodbye"]
    body = n - len(fixed)
    for i in range(body):
        children = [c for c in (3 * i + 1, 3 * i + 2, 3 * i + 3) if c < body]
        name = f"s{i:03d}"
        if children:
            out += [f"  {name}:", "    type: prompt_and_listen",
                    f'    prompt: "Menu {i}. Tapez 1, 2 ou 3, ou 0 pour un conseiller."', "    routes:"]
            for intent, c in zip(("one", "two", "three"), children):
                out += [f"      - when_intent: {intent}", f"        next: s{c:03d}"]
            out += ["      - when_intent: agent", "        next: agent",
                    "    noinput: {max: 2, next: goodbye}", "    nomatch: {max: 2, next: agent}"]
        else:
            out += [f"  {name}:", "    type: action_then_prompt",
                    "    action:", "      call: ${globals.endpoints.lookup}",
                    f'      path: {{id: "{i}"}}',
                    "    on_success:", f'      prompt_template: "Fiche {i}: {{{{resp.text}}}}."',
                    "      next: goodbye",
                    "    on_fail: {next: agent}"]
    out += ["  agent:", "    type: handoff", '    prompt: "Je vous passe un conseiller."',
            "    on_fail: {next: goodbye}",
            "  goodbye:", "    type: prompt_end", '    prompt: "Au revoir."']
    print("\n".join(out))


if __name__ == "__main__":
    main()
