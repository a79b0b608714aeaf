"""Random valid machines of the format (docs/format.md), from a seed.

generate(seed) returns a machine as a Python value (dicts, lists, strings,
numbers) that `ivrsm validate` must accept without an error: every state
type, routes on intents, phrases and data, `set:` with templates and
filters, collects of every mode, actions with headers, path, query and body
templates and timeouts, outcomes by status, timeout and error, handoff,
globals (limits at the edges of their ranges, re-prompts, hours, sensitive
keys), one to three languages, unicode names and prompts, deep and cyclic
graphs.

What keeps a machine valid:
- every `next` names a state of the machine;
- transitions that do not wait for the caller (out of `decide`,
  `action_then_prompt` and `handoff` states, and routes on data alone) only
  go to a state written after it, so there is no input-free cycle; routes
  on the caller's input, `noinput`, `nomatch`, `fallback` and a listening
  state's `next` go anywhere, which makes the cycles;
- conditions read ctx keys and `now` fields that can hold (no
  `condition-never-true`), `now.open` only with `globals.hours`;
- DTMF strings are unique per machine, so no state has a conflict.

Secrets: every machine carries SECRET_MARKERS-prefixed values through ctx
(a session token, an Authorization header, a body field, a prompt of the
sensitive key `pin`), which tests/adversarial/drive_machine.c checks never
reach a trace.
"""

import json
import random
import re

LOCALES = ["fr-FR", "fr-BE", "fr-CH", "en-US", "en-GB", "es-ES", "de-DE"]
TIMEZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
             "CET-1CEST,M3.5.0,M10.5.0/3"]
WORDS = {
    "fr": ["rendez-vous", "oui", "non", "conseiller", "annuler", "horaires", "pharmacie",
           "ordonnance", "l'accueil", "décembre", "être rappelé", "ça marche"],
    "en": ["appointment", "yes", "no", "agent", "cancel", "hours", "pharmacy", "refill",
           "don't know", "billing", "front desk", "card"],
    "es": ["cita", "sí", "no", "agente", "cancelar", "horario", "farmacia", "año",
           "receta", "mañana", "señor", "tarjeta"],
    "de": ["Termin", "ja", "nein", "Berater", "stornieren", "Öffnungszeiten", "Apotheke",
           "für mich", "Rezept", "Straße", "Karte", "übermorgen"],
}
UNICODE_BITS = ["é", "ß", "ñ", "日本", "Ω", "😀", "\u00a0", "ǅ", "İ", "ﬁ", "\u200d", "a\u0301"]
FILTERS = ["date", "weekday", "time", "number", "money", "cents", "digits", "phone", "yesno"]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
COLLECT_MODES = ["phone", "otp", "digits", "date_nl", "date_past", "free_speech_or_no"]
# Values the driver recognises anywhere in a trace: they must never show.
SECRET_TOKEN = "tokSECRETctx7Q2"
SECRET_PIN = "pinSECRET4421"
SECRET_HEADER = "Bearer hdrSECRETz9"
CTX_KEYS = ["n", "tier", "flag", "name", "amount", "day", "list"]


def _lang_family(tag):
    return tag.split("-")[0]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.seed = seed
        self.dtmf_used = set()

    # --- small pieces --------------------------------------------------------
    def word(self, lang):
        w = self.r.choice(WORDS[_lang_family(lang)])
        if self.r.random() < 0.15:
            w += " " + self.r.choice(UNICODE_BITS)
        return w

    def name(self, prefix, i):
        parts = [prefix, str(i)]
        if self.r.random() < 0.3:
            parts.append(self.r.choice(["é", "日本", "ü", "ñ", "x"]))
        sep = self.r.choice([".", "_", "-", "."])
        return sep.join(parts)

    def new_dtmf(self):
        for _ in range(200):
            n = self.r.choice([1, 1, 2, 3, 5])
            d = "".join(self.r.choice("0123456789*#ABCD" if n > 1 else "0123456789*") for _ in range(n))
            # no entry may be a prefix of another: keyed bounds stay clear
            if d in self.dtmf_used:
                continue
            self.dtmf_used.add(d)
            return d
        return None

    def template_text(self, lang, where):
        """A template said in a prompt: words, ctx paths, filters, #if blocks."""
        r = self.r
        bits = [self.word(lang)]
        for _ in range(r.randint(0, 4)):
            k = r.random()
            if k < 0.25:
                bits.append("{{ctx.%s}}" % r.choice(CTX_KEYS))
            elif k < 0.4:
                bits.append("{{ctx.%s | %s}}" % (r.choice(["amount", "day", "n", "phone_e164"]),
                                               r.choice(FILTERS)))
            elif k < 0.5 and where == "outcome":
                bits.append("{{resp.%s}}" % r.choice(["msg", "count", "items[0].id", "status", "error",
                                                      "nested.deep.v"]))
            elif k < 0.6:
                bits.append("{{#if ctx.n > %d}}%s{{else}}%s{{/if}}"
                            % (r.randint(-5, 5), self.word(lang), self.word(lang)))
            elif k < 0.7:
                bits.append("{{now.date}} {{now.time}}")
            elif k < 0.75:
                bits.append("{{globals.clinic}}")
            elif k < 0.8:
                bits.append("{{#if ctx.flag && !(ctx.tier == 'gold')}}%s{{/if}}" % self.word(lang))
            else:
                bits.append(self.word(lang))
        return " ".join(bits)

    def message(self, where="state"):
        """A message: text, parts, or a map by language."""
        r = self.r
        if len(self.langs) > 1 and r.random() < 0.6:
            return {lang: self.plain_message(lang, where) for lang in self.langs}
        return self.plain_message(self.langs[0], where)

    def plain_message(self, lang, where):
        r = self.r
        if r.random() < 0.2:
            parts = []
            for _ in range(r.randint(1, 3)):
                if r.random() < 0.4:
                    parts.append({"play": r.choice(["ivr/welcome.wav", "ivr/{{ctx.language}}/beep.wav",
                                                    "https://x.test/a b.wav"])})
                else:
                    parts.append({"say": self.template_text(lang, where)})
            return parts
        return self.template_text(lang, where)

    def set_block(self, where):
        r = self.r
        out = {}
        for _ in range(r.randint(1, 3)):
            key = r.choice(["n", "tier", "flag", "name", "amount", "caller.name", "deep.a.b.c", "list",
                            "language", "pin", "note"])
            if key == "language":
                out[key] = r.choice(self.langs)
            elif key == "pin":
                out[key] = SECRET_PIN
            elif key == "n":
                out[key] = r.choice([0, 1, -3, 7, "{{ctx.n}}"])
            elif key == "flag":
                out[key] = r.choice([True, False, None])
            elif key == "list":
                out[key] = r.choice([[1, 2, {"id": "a/b c"}], "{{resp.items}}" if where == "outcome" else []])
            elif key == "tier":
                out[key] = r.choice(["gold", "silver", ""])
            elif where == "outcome" and r.random() < 0.2:
                out["portal_session_token"] = "{{resp.session_token}}"
            elif where == "outcome" and r.random() < 0.5:
                out[key] = "{{resp.%s}}" % r.choice(["msg", "count", "nested"])
            else:
                out[key] = self.template_text(self.langs[0], where)
        return out

    def condition(self):
        r = self.r
        choices = [
            "ctx.n > %d" % r.randint(-3, 3),
            "ctx.tier == 'gold'",
            "!ctx.flag",
            "ctx.flag || ctx.n <= 0",
            "(ctx.n >= 1 && ctx.tier != 'silver') || !ctx.name",
            "now.weekday >= %d" % r.randint(1, 7),
            "now.hour < %d" % r.randint(1, 23),
            "ctx.list[0] == 1",
            "globals.vip_threshold < ctx.amount",
            "{{ ctx.deep.a.b.c }}",
        ]
        if self.hours:
            choices.append("now.open")
            choices.append("!now.open")
        return r.choice(choices)

    # --- states ---------------------------------------------------------------
    def target(self, i, forward_only):
        """A state for an edge out of state i."""
        n = len(self.names)
        if forward_only:
            if i + 1 >= n:
                return None
            # mostly a state ahead that listens, else near, sometimes far: deep chains and long jumps
            ahead = [k for k in range(i + 1, n) if self.kinds[k] in ("prompt_and_listen", "listen")]
            if ahead and self.r.random() < 0.7:
                return self.names[self.r.choice(ahead[:3])]
            j = i + 1 if self.r.random() < 0.5 else self.r.randint(i + 1, n - 1)
            return self.names[j]
        # mostly back into the states that listen, so that calls last
        if self.listening and self.r.random() < 0.7:
            return self.r.choice(self.listening)
        return self.r.choice(self.names)

    def end_name(self):
        return self.names[-1]  # always a prompt_end

    def counter(self, i):
        r = self.r
        b = {}
        if r.random() < 0.8:
            b["max"] = r.choice([1, 2, 3, "${globals.max_retries}"])
            b["next"] = self.target(i, False)
        if r.random() < 0.4 or not b:
            b["prompts"] = [self.message() for _ in range(r.randint(1, 2))]
        if r.random() < 0.2:
            b["repeat_prompt"] = r.random() < 0.7
        return b

    def routes(self, i, listens):
        r = self.r
        out = []
        for _ in range(r.randint(0 if not listens else 1, 5)):
            k = r.random()
            route = {}
            if listens and k < 0.6 and self.intent_names:
                route["when_intent"] = r.choice(self.intent_names)
                if r.random() < 0.2:
                    route["when"] = self.condition()
                route["next"] = self.target(i, False)
            elif listens and k < 0.75:
                if len(self.langs) > 1 and r.random() < 0.5:
                    route["when_text"] = {lang: self.word(lang) for lang in self.langs}
                else:
                    route["when_text"] = self.word(self.langs[0])
                route["next"] = self.target(i, False)
            else:
                t = self.target(i, True)
                if t is None:
                    continue
                route["when"] = self.condition()
                route["next"] = t
            if r.random() < 0.4:
                route["set"] = self.set_block("route")
            out.append(route)
        return out

    def outcome(self, i, needs_next=True, resp=True):
        r = self.r
        o = {}
        where = "outcome" if resp else "route"
        if r.random() < 0.4:
            o["set"] = self.set_block(where)
        if r.random() < 0.5:
            o["prompt" if r.random() < 0.5 else "prompt_template"] = self.message(where)
        t = self.target(i, True)
        if t is not None and (needs_next or r.random() < 0.7):
            o["next"] = t
        return o

    def action(self, i):
        r = self.r
        if r.random() < 0.5 and self.endpoints:
            call = "${globals.endpoints.%s}" % r.choice(sorted(self.endpoints))
            path_template = self.endpoints[call.split(".")[-1][:-1]]
        else:
            seg = r.choice(["x", "%C3%A9-t", "a%2Fb", "%E6%97%A5", "a~b_c.d"])
            path_template = "%s /v1/%s/{id}" % (r.choice(METHODS), seg)
            call = path_template
        a = {"call": call}
        if "{id}" in path_template:
            a["path"] = {"id": r.choice(["{{ctx.name}}", "a/b?c#d", "{{ctx.n}}", "../..", "ü x"])}
        if r.random() < 0.6:
            a["headers"] = {"Authorization": "{{ctx.authorization}}",
                            "X-Token": "{{ctx.portal_session_token}}"}
            if r.random() < 0.3:
                a["headers"]["X-Note"] = "{{ctx.note}}"
        if r.random() < 0.5:
            a["query"] = {"q": "{{ctx.name}}", "n": "{{ctx.n}}", "lit": "a&b=c"}
        if r.random() < 0.6 and not path_template.startswith("GET"):
            a["body"] = {"token": "{{ctx.session_token}}", "pin": "{{ctx.pin}}",
                         "n": "{{ctx.n}}", "list": "{{ctx.list}}", "deep": [{"x": "{{ctx.otp}}"}, None, 1.5]}
        if r.random() < 0.5:
            a["timeout_ms"] = r.choice([1, 250, 600000])
        return a

    def action_outcomes(self, st, i):
        r = self.r
        st["on_success"] = self.outcome(i)
        if r.random() < 0.8:
            st["on_fail"] = self.outcome(i)
        if r.random() < 0.4:
            keys = r.sample(["401", "404", "4xx", "5XX", "200", "2xx", "302", "1xx"], r.randint(1, 3))
            st["on_status"] = {k: self.outcome(i) for k in keys}
        if r.random() < 0.3:
            st["on_timeout"] = self.outcome(i)
        if r.random() < 0.3:
            st["on_error"] = self.outcome(i)

    def collect(self):
        r = self.r
        mode = r.choice(COLLECT_MODES)
        c = {"mode": mode}
        if mode == "otp":
            c["length"] = r.choice([1, 4, 6, 32])
        if mode == "date_past" and r.random() < 0.5:
            c["max_years_ago"] = r.choice([1, 120, 200])
        if mode == "digits":
            lo = r.choice([1, 4, 13, 64])
            c["min"] = lo
            c["max"] = r.choice([lo, 64])
            if r.random() < 0.3:
                c["check"] = "luhn"
                c["min"] = max(c["min"], 2)
                c["max"] = max(c["max"], c["min"])
            if r.random() < 0.3:
                c["terminator"] = r.choice(["", "*", "A"])
        if r.random() < 0.3:
            c["allow_dtmf"] = r.random() < 0.7
        if r.random() < 0.3:
            c["target"] = r.choice(["pin", "caller.value", "otp", "code", "card.pin"])
        if r.random() < 0.5:
            c["retry"] = {"max": r.choice([1, 2, "${globals.max_retries}"]), "on_fail_next": None}
        return c

    def pick_kind(self, i):
        r = self.r
        if i == len(self.names) - 1:
            return "prompt_end"
        if i == 0:
            kind = r.choice(["prompt_and_listen", "decide", "action_then_prompt", "prompt_and_listen"])
        else:
            kind = r.choice(["prompt_and_listen"] * 6 + ["listen", "action_then_prompt", "action_then_prompt",
                                                          "handoff", "decide", "decide"]
                            + (["prompt_end"] if r.random() < 0.3 else []))
        if kind == "decide" and i + 1 >= len(self.names):
            kind = "prompt_end"
        return kind

    def state(self, i):
        r = self.r
        kind = self.kinds[i]
        st = {"type": kind}
        if r.random() < 0.1:
            st["description"] = "état " + self.word(self.langs[0])
        if kind == "prompt_end":
            st["prompt"] = self.message()
        elif kind == "decide":
            routes = [rt for rt in self.routes(i, False) if "when" in rt]
            if routes:
                st["routes"] = routes
            st["next"] = self.target(i, True)
        elif kind == "handoff":
            if r.random() < 0.7:
                st["enabled"] = r.random() < 0.7
            if r.random() < 0.5:
                st["queue_id"] = r.choice(["q-{{ctx.tier}}", "front desk", "日本"])
            if r.random() < 0.7:
                st["prompt"] = self.message()
            if r.random() < 0.8:
                st["on_fail"] = self.outcome(i, resp=False)
            if r.random() < 0.3:
                st["on_success"] = self.outcome(i, resp=False)
        elif kind == "action_then_prompt":
            st["action"] = self.action(i)
            if r.random() < 0.3:
                st["prompt_before"] = self.message()
            self.action_outcomes(st, i)
            if r.random() < 0.3:
                routes = [rt for rt in self.routes(i, False) if "when" in rt]
                if routes:
                    st["routes"] = routes
        else:  # prompt_and_listen, listen
            if kind == "prompt_and_listen":
                st["prompt"] = self.message()
                if r.random() < 0.2:
                    st["prompt_template"] = self.message()
            st["routes"] = self.routes(i, True)
            if r.random() < 0.35:
                st["collect"] = self.collect()
                if "retry" in st["collect"]:
                    st["collect"]["retry"]["on_fail_next"] = self.target(i, False)
            if r.random() < 0.2 and kind == "prompt_and_listen":
                st["action"] = self.action(i)
                self.action_outcomes(st, i)
            if r.random() < 0.6:
                st["noinput"] = self.counter(i)
            if r.random() < 0.6:
                st["nomatch"] = self.counter(i)
            if r.random() < 0.5:
                st["fallback"] = {"next": self.target(i, False)}
                if r.random() < 0.4:
                    st["fallback"]["set"] = self.set_block("route")
            if r.random() < 0.5 or "collect" in st:
                st["next"] = self.target(i, False)
            if not st["routes"]:
                del st["routes"]
        return st

    # --- the whole machine -------------------------------------------------------
    def machine(self):
        r = self.r
        nlang = r.choice([1, 1, 2, 3])
        self.langs = r.sample(LOCALES, nlang)
        self.hours = r.random() < 0.4
        m = {"machine": "gen_%d_%s" % (self.seed, r.choice(["x", "é", "日本"])),
             "version": r.choice(["1.0", "2.3.4-beta", "日本"])}
        if nlang == 1:
            m["locale"] = self.langs[0]
        else:
            m["languages"] = list(self.langs)
            if r.random() < 0.3:
                m["locale"] = self.langs[0]
        if r.random() < 0.3:
            m["phone_region"] = r.choice(LOCALES)
        m["timezone"] = r.choice(TIMEZONES)
        if r.random() < 0.3:
            m["description"] = "machine " + "".join(r.sample(UNICODE_BITS, 3))
        if r.random() < 0.4:
            m["inputs"] = {"tier": {"type": "string", "default": "silver"},
                           "n": {"type": "integer", "default": 1},
                           "caller_number": "string"}

        g = {"clinic": "Clinique " + "".join(r.sample(UNICODE_BITS, 2)), "vip_threshold": 10,
             "max_retries": r.choice([1, 2, 1000])}
        self.endpoints = {}
        for k in range(r.randint(0, 4)):
            meth = r.choice(METHODS)
            path = "/e%d/{id}" % k if r.random() < 0.5 else "/e%d" % k
            self.endpoints["ep_%d" % k] = "%s %s" % (meth, path)
        if self.endpoints:
            g["endpoints"] = dict(self.endpoints)
        if r.random() < 0.7:
            g["handoff"] = {"enabled": r.random() < 0.7, "queue_id": "front_desk",
                            "prompt": "Un instant {{ctx.name}}."}
        if r.random() < 0.3:
            g["limits"] = {"max_consecutive_failures": r.choice([1, 2, 6, 1000]),
                           "max_state_visits": r.choice([1, 3, 12, 65535]),
                           "max_steps_per_event": r.choice([1, 2, 32, 10000])}
        if r.random() < 0.4:
            g["max_noinput"] = r.choice([1, 2, 1000])
            g["max_nomatch"] = r.choice([1, 3, 1000])
        if r.random() < 0.4:
            g["otp"] = {"length": r.choice([1, 6, 32]), "max_attempts": r.choice([1, 5, 1000])}
        if r.random() < 0.3:
            g["http"] = {"timeout_ms": r.choice([1, 5000, 600000])}
            if r.random() < 0.5:
                g["http"]["wrong_input"] = r.sample(["401", "422", "4xx", "5xx"], 2)
        if r.random() < 0.3:
            g["timeouts"] = {"noinput_ms": r.choice([1, 600000]), "digit_ms": r.choice([1, 3000])}
        if r.random() < 0.3:
            g["asr"] = {"min_confidence": r.choice([0, 0.4, 1])}
        if r.random() < 0.3:
            g["date"] = {"asap_days": r.choice([1, 14, 366])}
        if r.random() < 0.3:
            g["allow_dtmf"] = r.random() < 0.8
        if r.random() < 0.3:
            g["dtmf_terminator"] = r.choice(["#", "*"])
        if self.hours:
            g["hours"] = {"open": {"mon-fri": "08:30-12:30, 13:30-19:00", "sat": ["09:00-12:00"],
                                   "sun": "00:00-24:00"},
                          "closed_dates": ["12-25", "2026-05-14", "02-29"]}
        g["sensitive_keys"] = ["note"]
        if r.random() < 0.3:
            g["reprompts"] = {"noinput": [self.message()], "nomatch": [self.message(), self.message()]}
            if r.random() < 0.5:
                g["reprompts"]["repeat_prompt"] = True
        m["globals"] = g

        intents = {}
        for k in range(r.randint(1, 8)):
            name = r.choice(["yes", "no", "on", "off", "agent", "menu"]) + "_%d" % k if k else "yes"
            it = {}
            if r.random() < 0.8:
                if len(self.langs) > 1 and r.random() < 0.6:
                    it["utterances"] = {lang: [self.word(lang) for _ in range(r.randint(1, 3))]
                                        for lang in self.langs}
                else:
                    it["utterances"] = [self.word(self.langs[0]) for _ in range(r.randint(1, 3))]
            if r.random() < 0.7 or not it:
                d = self.new_dtmf()
                if d:
                    it["dtmf"] = [d]
            if not it:
                it["utterances"] = [self.word(self.langs[0])]
            intents[name] = it
        m["intents"] = intents
        self.intent_names = sorted(intents)

        depth = r.choice([2, 4, 8, 16, 40])
        self.names = [self.name("s", k) for k in range(depth)]
        # which states listen is drawn first, so that edges may prefer them
        self.kinds = [self.pick_kind(i) for i in range(len(self.names))]
        self.listening = [nm for nm, k in zip(self.names, self.kinds) if k in ("prompt_and_listen", "listen")]
        states = {}
        for i, nm in enumerate(self.names):
            states[nm] = self.state(i)
        m["states"] = states
        if r.random() < 0.2:
            m["initial"] = self.names[0]
        return m


def generate(seed):
    return Gen(seed).machine()


_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9 ._/-]*[A-Za-z0-9]$")


def _scalar(v):
    if v is None:
        return "null"
    if v is True or v is False:
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return json.dumps(v)
    # YAML 1.2's core schema: only true/false/null (any case) and numbers are
    # not strings among plain scalars; quote everything else that is not plainly words.
    if _PLAIN.match(v) and v.lower() not in ("true", "false", "null") and ": " not in v and " #" not in v:
        return v
    return json.dumps(v, ensure_ascii=False)


def _emit(v, indent, out):
    pad = "  " * indent
    if isinstance(v, dict):
        if not v:
            out.append("{}")
            return
        for k, x in v.items():
            out.append("\n%s%s:" % (pad, _scalar(k)))
            if isinstance(x, (dict, list)) and x:
                _emit(x, indent + 1, out)
            else:
                out.append(" ")
                _emit(x, indent + 1, out)
    elif isinstance(v, list):
        if not v:
            out.append("[]")
            return
        for x in v:
            out.append("\n%s-" % pad)
            if isinstance(x, (dict, list)) and x:
                # a map or list in a list item: flow style keeps the indentation simple
                out.append(" " + json.dumps(x, ensure_ascii=False))
            else:
                out.append(" ")
                _emit(x, indent + 1, out)
    else:
        out.append(_scalar(v))


def to_yaml(machine):
    """Block YAML 1.2 (plain words, JSON-quoted strings, lists of maps in flow style)."""
    out = []
    _emit(machine, 0, out)
    return "".join(out).lstrip("\n") + "\n"


def to_json(machine):
    return json.dumps(machine, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    import sys

    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    sys.stdout.write(to_yaml(generate(seed)))
