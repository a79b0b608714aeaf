"""What FreeSWITCH does to an application's argument and to the caller's keys.

Pure functions and small classes, ported from FreeSWITCH's C sources
(signalwire/freeswitch); each names the file and function it follows. The
fake FreeSWITCH (fake_freeswitch.py) runs every application the host sends
through them, so what the tests observe is what a caller would hear and
what a real switch would have executed.
"""

import re

# ---------------------------------------------------------------------------
# Variable expansion
# ---------------------------------------------------------------------------


class Expansion:
    """What one expansion did: the variables it looked up, the API calls it made."""

    def __init__(self):
        self.lookups = []
        self.api_calls = []

    @property
    def evaluated(self):
        return bool(self.lookups or self.api_calls)


def var_check(text):
    """src/include/switch_utils.h switch_string_var_check_const: '${' or '$${' somewhere."""
    i = text.find("$")
    while i >= 0:
        j = i + 1
        if text[j:j + 1] == "$":
            j += 1
        if text[j:j + 1] == "{":
            return True
        i = text.find("$", i + 1)
    return False


def has_escaped_data(text):
    """src/include/switch_utils.h switch_string_has_escaped_data: a backslash before
    '$', a quote or another backslash."""
    return any(text[i] == "\\" and text[i + 1:i + 2] in ("$", "'", "\\")
               for i in range(len(text)))


def expand(text, variables, global_vars=None, api=None, record=None, recur=0):
    """src/switch_channel.c switch_channel_expand_variables_check, byte for byte in
    what it consumes: '\\$' gives '$' (and '\\$$' a single '$'), '\\'' vanishes
    whole, '\\\\' gives one backslash, '${name}' is a channel variable, '$${name}'
    a global one, '${api args}' and '${api(args)}' run an API command (recorded,
    and answered by `api`), anything else is copied."""
    record = record if record is not None else Expansion()
    if recur > 100 or not text:
        return text
    if not (var_check(text) or has_escaped_data(text)):
        return text
    out = []
    p = 0
    n = len(text)
    while p < n:
        c = text[p]
        literal = False
        vtype = 0
        glob = False
        if c == "\\":
            nxt = text[p + 1:p + 2]
            if nxt == "$":
                literal = True
                p += 1
                if text[p + 1:p + 2] == "$":
                    p += 1
            elif nxt == "'":
                p += 2
                continue
            elif nxt == "\\":
                out.append("\\")
                p += 2
                continue
        if text[p] == "$" and not literal:
            if text[p + 1:p + 2] == "$":
                p += 1
                glob = True
            if p + 1 < n:
                if text[p + 1] == "{":
                    vtype = 3 if glob else 1
                else:
                    literal = True
            else:
                literal = True
        if literal:
            out.append(text[p])
            p += 1
            continue
        if vtype:
            # The name runs to the matching '}' (nested braces counted).
            s = p + 2
            depth = 1
            e = s
            while e < n:
                if text[e] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                elif text[e] == "{" and e != s:
                    depth += 1
                e += 1
            name = text[s:e]
            p = e + 1
            arg = None
            m = re.search(r"[ (]", name)
            if m:
                # "${api args}" or "${api(args)}": an API call.
                arg = name[m.end():]
                if m.group(0) == "(" and arg.endswith(")"):
                    arg = arg[:-1]
                name = name[:m.start()].rstrip(" ")
            name = expand(name, variables, global_vars, api, record, recur + 1)
            if arg is not None:
                arg = expand(arg, variables, global_vars, api, record, recur + 1)
                record.api_calls.append((name, arg))
                value = api(name, arg) if api else ""
            else:
                record.lookups.append(name)
                source = (global_vars or {}) if vtype == 3 else variables
                value = source.get(name.split(":", 1)[0].split("[", 1)[0])
                if value is not None:
                    value = expand(value, variables, global_vars, api, record, recur + 1)
            out.append(value or "")
            continue
        out.append(text[p])
        p += 1
    return "".join(out)


# ---------------------------------------------------------------------------
# Splitting arguments
# ---------------------------------------------------------------------------

ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "s": " "}


def cleanup(token, delim):
    """src/switch_utils.c cleanup_separated_string: leading spaces dropped; a
    backslash before a quote, a double quote, the delimiter, a backslash or
    n r t s is an escape; a quote that is inside quotes or has another quote
    after it opens or closes quoting and is dropped; trailing spaces outside
    quotes dropped."""
    i = 0
    while i < len(token) and token[i] == " ":
        i += 1
    out = []
    end = None
    inside = False
    while i < len(token):
        c = token[i]
        if c == "\\" and i + 1 < len(token):
            e = token[i + 1]
            if e in ("'", '"', "\\") or (delim and e == delim) or e in ESCAPES:
                out.append(ESCAPES.get(e, e) if e in ESCAPES else e)
                end = len(out)
                i += 2
                continue
        if c == "'" and (inside or "'" in token[i + 1:]):
            inside = not inside
            if inside:
                end = len(out)
        else:
            out.append(c)
            if c != " " or inside:
                end = len(out)
        i += 1
    return "".join(out[:end]) if end is not None else "".join(out)


def separate_string(text, delim, limit):
    """src/switch_utils.c switch_separate_string: '^^X' first changes the
    delimiter to X; a space delimiter uses separate_string_blank_delim (every
    quote toggles quoting, runs of spaces are one separator), any other
    separate_string_char_delim (a quote toggles only when paired); a
    backslash protects the next character; then each token is cleaned up.
    At most `limit` tokens: the last one keeps the rest of the text."""
    if text.startswith("^^") and len(text) > 3:
        delim = text[2]
        text = text[3:]
    tokens = []
    i = 0
    n = len(text)
    inside = False
    if delim == " ":
        state = "start"
        start = 0
        while i < n and len(tokens) < limit:
            if state == "start":
                start = i
                state = "skip_initial"
                tokens.append(None)
            elif state == "skip_initial":
                if text[i] == " ":
                    i += 1
                else:
                    state = "find"
            elif state == "find":
                if text[i] == "\\":
                    i += 1
                elif text[i] == "'":
                    inside = not inside
                elif text[i] == " " and not inside:
                    tokens[-1] = (start, i)
                    state = "skip_end"
                i += 1
            else:
                if text[i] == " ":
                    i += 1
                else:
                    state = "start"
        if tokens and tokens[-1] is None:
            tokens[-1] = (start, n)
        return [cleanup(text[a:b], "") for a, b in tokens]
    start = 0
    count = 0
    bounds = []
    state = "start"
    while i < n and count < limit:
        if state == "start":
            start = i
            count += 1
            state = "find"
            continue
        c = text[i]
        if c == "\\":
            i += 1
        elif c == "'" and (inside or "'" in text[i + 1:]):
            inside = not inside
        elif c == delim and not inside:
            bounds.append((start, i))
            state = "start"
        i += 1
    if count > len(bounds):
        bounds.append((start, n))
    return [cleanup(text[a:b], delim) for a, b in bounds]


# ---------------------------------------------------------------------------
# Applications' arguments
# ---------------------------------------------------------------------------


def pagd_arguments(data):
    """src/mod/applications/mod_dptools/mod_dptools.c play_and_get_digits_function:
    eleven space-separated arguments; min below 0 is 0, max at least min, the
    timeout at least 1000 ms, empty terminators mean '#'."""
    argv = separate_string(data, " ", 11) if data else []
    argv += [None] * (11 - len(argv))

    def num(v, default=0):
        try:
            return int(v)
        except (TypeError, ValueError):
            m = re.match(r"\s*(-?\d+)", v or "")
            return int(m.group(1)) if m else default

    a = {"min": num(argv[0]), "max": num(argv[1]), "tries": num(argv[2]),
         "timeout": num(argv[3], 1000), "terminators": argv[4] or "#",
         "file": argv[5], "invalid_file": argv[6], "var": argv[7], "regex": argv[8],
         "digit_timeout": num(argv[9]), "transfer_on_failure": argv[10], "argc": len(
             [x for x in argv if x is not None])}
    a["min"] = max(a["min"], 0)
    a["max"] = max(a["max"], a["min"])
    a["timeout"] = max(a["timeout"], 1000)
    if not a["digit_timeout"]:
        a["digit_timeout"] = a["timeout"]  # switch_ivr_read: no digit timeout means the timeout
    return a


def speak_arguments(data):
    """mod_dptools.c speak_function: ENGINE|VOICE|TEXT split on '|' into at most
    three parts; the text is the rest of the argument, unstripped."""
    argv = separate_string(data, "|", 3)
    if len(argv) < 3:
        return {"engine": None, "voice": argv[0] if len(argv) == 2 else None,
                "text": argv[-1] if argv else ""}
    # argv[2] starts where the third token starts in the original text.
    first = data.index("|")
    second = data.index("|", first + 1)
    return {"engine": argv[0], "voice": argv[1], "text": data[second + 1:]}


def detect_arguments(data):
    """mod_dptools.c play_and_detect_speech_function: the argument is cut at its
    first "detect:"; before it (trailing spaces trimmed) the file to play,
    after it "ENGINE GRAMMAR" split on spaces into two."""
    at = data.find("detect:")
    if at < 0:
        return None
    rest = separate_string(data[at + 7:], " ", 2)
    if len(rest) != 2:
        return None
    return {"file": data[:at].rstrip(" \t"), "engine": rest[0], "grammar": rest[1]}


def grammar_params(grammar):
    """The {name=value,...} parameters before a grammar, as mod_unimrcp reads
    them (mod_unimrcp.c recog_asr_load_grammar); names case-insensitive, as its
    param_id_map is (recog_load: switch_core_hash_init_nocase), so
    "speech-language" is the MRCP Speech-Language header."""
    if not grammar.startswith("{") or "}" not in grammar:
        return {}
    params = {}
    for item in grammar[1:grammar.index("}")].split(","):
        name, _, value = item.partition("=")
        if name:
            params[name.strip().lower()] = value.strip()
    return params


def find_end_paren(text, i, open_c="{", close_c="}"):
    """src/switch_utils.c switch_find_end_paren: the index of the close_c matching the
    open_c at text[i] (nested pairs counted), or None."""
    depth = 0
    for j in range(i, len(text)):
        if text[j] == open_c:
            depth += 1
        elif text[j] == close_c:
            depth -= 1
            if depth == 0:
                return j
    return None


def tts_text(text):
    """src/switch_core_speech.c switch_core_speech_feed_tts: leading spaces dropped; a
    text that then starts with '{' carries "{name=value,...}" parameters for the speech
    engine (split on ',' then '='), and what follows the matching '}' is spoken; with no
    matching '}' nothing is spoken (SWITCH_STATUS_FALSE). Returns (params, spoken):
    params a list of (name, value), spoken None when the engine is given nothing."""
    data = (text or "").lstrip(" ")
    if not data:
        return [], None
    params = []
    if data[0] == "{":
        end = find_end_paren(data, 0)
        if end is None:
            return [], None
        for item in separate_string(data[1:end], ",", 256):
            pair = separate_string(item, "=", 2)
            if len(pair) == 2:
                params.append((pair[0], pair[1]))
        data = data[end + 1:]
    return params, data


def heard(file, delimiter=None):
    """What a caller hears of a file argument: src/switch_ivr_play_say.c
    switch_ivr_play_file speaks "say:TEXT" with the channel's tts_engine and
    tts_voice; silence_stream:// and "silence" are silent. With the channel
    variable playback_delimiter, switch_ivr_play_file splits the argument on
    that character (switch_separate_string) and plays each element in turn:
    "say:" ones spoken, the others played as files; what is heard is their
    sequence, joined here by " | "."""
    if delimiter:
        elements = [e for e in file.split(delimiter[0])] if file else []
        said = [heard(e) for e in elements]
        return " | ".join(x for x in said if x)
    if not file or file == "silence" or file.startswith("silence_stream://"):
        return ""
    if file.startswith("say:"):
        # switch_ivr_speak_text → switch_core_speech_feed_tts (tts_text).
        return tts_text(file[4:])[1] or ""
    return "[file %s]" % file


def tts_params(file, delimiter=None):
    """The speech engine parameters the "say:" elements of a file argument carry
    (tts_text), in order: what a text that starts with '{' hands the engine."""
    elements = file.split(delimiter[0]) if (file and delimiter) else [file or ""]
    params = []
    for e in elements:
        if e.startswith("say:"):
            params += tts_text(e[4:])[0]
    return params


def switch_true(value):
    """src/include/switch_utils.h switch_true: yes, on, true, t, enabled, active,
    allow (any case), or a number other than 0."""
    if not value:
        return False
    v = value.strip().lower()
    if v in ("yes", "on", "true", "t", "enabled", "active", "allow"):
        return True
    try:
        return int(v) != 0
    except ValueError:
        return False


def base_set(data):
    """mod_dptools.c base_set (set, and multiset for each of its parts): NAME=VALUE
    (or NAME,VALUE); the value is expanded again, whatever
    app_disable_expand_variables says. Returns (name, value) or None."""
    if not data:
        return None
    eq = data.find("=")
    if eq < 0:
        eq = data.find(",")
    if eq < 0:
        return data, None
    return data[:eq], data[eq + 1:] or None


# ---------------------------------------------------------------------------
# Where a handoff goes: dial strings, transfer and callcenter arguments
# ---------------------------------------------------------------------------


def _strip_brackets(text, open_c, close_c):
    """switch_event_create_brackets: a leading OPEN...CLOSE block of variables;
    returns (variables text or None, the rest)."""
    text = text.lstrip(" ")
    if not text.startswith(open_c):
        return None, text
    end = find_end_paren(text, 0, open_c, close_c)
    if end < 0:
        return None, text
    return text[1:end], text[end + 1:]


def _leg(text):
    """One leg: "[vars]" blocks, then ENDPOINT/DATA split at the first '/'
    (src/switch_ivr_originate.c switch_ivr_originate: chan_type, chan_data). The
    endpoint's own reading of its data: user/USER@DOMAIN
    (mod_dptools.c user_outgoing_channel), sofia/PROFILE/DEST with DEST^TO and
    USER%HOST (mod_sofia.c sofia_outgoing_channel)."""
    leg_vars = []
    while True:
        v, rest = _strip_brackets(text, "[", "]")
        if v is None:
            break
        leg_vars.append(v)
        text = rest
    text = text.lstrip(" ")
    endpoint, _, data = text.partition("/")
    leg = {"endpoint": endpoint, "data": data, "vars": leg_vars}
    if endpoint == "user":
        user, at, domain = data.partition("@")
        leg["user"] = user
        leg["domain"] = domain if at else None
    elif endpoint == "sofia":
        profile, _, dest = data.partition("/")
        if profile == "gateway":
            gateway, _, dest = dest.partition("/")
            leg["gateway"] = gateway
        dest, caret, to = dest.partition("^")
        user, pct, host = dest.partition("%")
        leg["dest"] = user
        leg["to"] = to if caret else None
        leg["registered_host"] = host if pct else None
    return leg


def dial_targets(data):
    """src/switch_ivr_originate.c: what a bridge's dial string calls. Leading
    "<...>" and "{...}" blocks are variables of the whole dial; ":_:" separates
    independent originates (switch_ivr_enterprise_originate); '|' separates
    failover groups and ',' the legs dialled at once (switch_ivr_originate:
    switch_separate_string on each, a ',' inside "[...]" kept). Returns
    {"vars": [...], "groups": [[leg, ...], ...]}: one group of one leg is one
    destination."""
    global_vars = []
    text = data or ""
    for open_c, close_c in (("<", ">"), ("{", "}")):
        v, text = _strip_brackets(text, open_c, close_c)
        if v is not None:
            global_vars.append(v)
    groups = []
    for part in text.split(":_:"):
        for failover in separate_string(part, "|", 128):
            protected = []
            depth = 0
            for c in failover:
                depth += c == "["
                depth -= c == "]" and depth > 0
                protected.append("\x01" if c == "," and depth else c)
            legs = separate_string("".join(protected), ",", 128)
            groups.append([_leg(leg.replace("\x01", ",")) for leg in legs])
    return {"vars": global_vars, "groups": groups}


def transfer_target(data):
    """mod_dptools.c transfer_function: EXTENSION [DIALPLAN [CONTEXT]] split on
    blanks; a first argument "-bleg" or "-both" transfers the other leg (or both)
    to the arguments after it."""
    argv = separate_string(data or "", " ", 4)
    leg = "self"
    if argv and argv[0].lower() in ("-bleg", "-both"):
        leg = argv[0].lower()[1:]
        argv = argv[1:]
    argv += [None] * (3 - len(argv))
    return {"leg": leg, "extension": argv[0], "dialplan": argv[1], "context": argv[2],
            "extra": argv[3:] if len(argv) > 3 else []}


def callcenter_target(data):
    """mod_callcenter.c callcenter_function: the queue is the first of the
    arguments split on blanks; a queue is named NAME@DOMAIN in callcenter.conf."""
    argv = separate_string(data or "", " ", 6)
    queue = argv[0] if argv else ""
    name, at, domain = queue.partition("@")
    return {"queue": queue, "name": name, "domain": domain if at else None,
            "extra": argv[1:]}


def handoff_target(app, data):
    """Where a handoff application sends the call, as FreeSWITCH reads its argument."""
    if app == "bridge":
        return dial_targets(data)
    if app == "transfer":
        return transfer_target(data)
    return callcenter_target(data)


# ---------------------------------------------------------------------------
# Reading keys: play_and_get_digits
# ---------------------------------------------------------------------------


class ReadOutcome:
    """What switch_ivr_read / switch_play_and_get_digits leave on the channel."""

    def __init__(self):
        self.digits = ""
        self.terminator = ""
        self.status = None  # success | timeout | too_small | false (channel gone)
        self.variables = {}


def read_result(a, digits, terminator, timed_out, channel_gone):
    """src/switch_ivr_play_say.c switch_ivr_read then switch_play_and_get_digits,
    for one try: `digits` is what switch_ivr_collect_digits_count gathered (the
    terminator excluded), `terminator` the key that ended it ("" if none),
    `timed_out` whether the first-digit or digit timeout ended it.

    Returns the channel variables the application leaves:
      read_result: "success", "timeout" or "failure" (fewer digits than min:
        SWITCH_STATUS_TOO_SMALL, which is how an empty read ends when min >= 1);
        absent when the channel went away during the prompt;
      read_terminator_used: only set when a terminator ended the read (and never
        cleared by a later read);
      VAR: the digits when they match the regular expression, else
      VAR_invalid: the digits that did not."""
    out = {}
    var = a["var"]
    if var and a["regex"]:
        out[var + "_invalid"] = None
    if var:
        out[var] = None
    if channel_gone:
        return out
    status = "timeout" if timed_out else "success"
    if terminator:
        out["read_terminator_used"] = terminator
    if a["min"] and len(digits) < a["min"]:
        status = "too_small"
    out["read_result"] = {"success": "success", "timeout": "timeout"}.get(status, "failure")
    if a["max"] == 1 and len(digits) == 1 and digits in a["terminators"]:
        digits = ""
    if var and digits:
        out[var] = digits
    # switch_play_and_get_digits: a timeout with enough digits counts as success.
    if status == "timeout" and len(digits) >= a["min"]:
        status = "success"
    if status == "success" and digits and a["regex"]:
        if not re.search(a["regex"], digits):
            out[var] = None
            out[var + "_invalid"] = digits
    return out
