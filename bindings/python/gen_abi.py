#!/usr/bin/env python3
"""The ctypes view of include/ivrsm/ivrsm.h, generated from the header itself.

    gen_abi.py HEADER > ivrsm/_abi.py        the package's structures and enums
    gen_abi.py --probe HEADER > probe.c      a C program printing the compiler's
                                             layout of the same structures

The header is the one source: the package's structures are written by this
script, never by hand, and the tests check that the committed ivrsm/_abi.py is
what the script makes of the header today (test_abi.py), and that the C
compiler lays the structures out as ctypes does (the probe).

It reads the header's own style: `typedef struct ivrsm_x { ... } ivrsm_x;`
with one declaration a line, anonymous nested structs, and
`typedef enum ivrsm_y { IVRSM_Y_A = 1, ... } ivrsm_y;`.
"""

import re
import sys

CTYPES = {  # C types written without spaces around '*'
    "size_t": "ctypes.c_size_t",
    "int": "ctypes.c_int",
    "double": "ctypes.c_double",
    "uint64_t": "ctypes.c_uint64",
    "int64_t": "ctypes.c_int64",
    "const char*": "ctypes.c_char_p",
    "void*": "ctypes.c_void_p",
    "const char*const*": "ctypes.POINTER(ctypes.c_char_p)",
}

# Function pointer typedefs of the header, as the package declares them.
CALLBACKS = {
    "ivrsm_clock_fn": ("CLOCK_FN", "ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_void_p)"),
    "ivrsm_trace_fn": ("TRACE_FN", "ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p)"),
    "ivrsm_rand_fn": ("RAND_FN", "ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, "
                      "ctypes.POINTER(ctypes.c_uint8), ctypes.c_size_t)"),
}


def class_name(c_name):
    """ivrsm_session_options -> SessionOptions."""
    return "".join(part.capitalize() for part in c_name[len("ivrsm_"):].split("_"))


def strip_comments(text):
    return re.sub(r"/\*.*?\*/", "", re.sub(r"//[^\n]*", "", text, flags=re.S), flags=re.S)


def parse_enums(text):
    """{enum name: [(CONSTANT, value)]}, from typedef'd and anonymous enums."""
    enums = {}
    for match in re.finditer(r"(?:typedef\s+)?enum\s*(\w*)\s*\{(.*?)\}\s*(\w*)\s*;", text, re.S):
        name = match[1] or match[3] or "codes"
        members, value = [], -1
        for item in match[2].split(","):
            item = item.strip()
            if not item:
                continue
            constant, _, given = item.partition("=")
            value = int(given.strip(), 0) if given.strip() else value + 1
            members.append((constant.strip(), value))
        enums[name] = members
    return enums


def parse_fields(body, enums):
    """[(name, ctype or ("struct", fields))] for the declarations of one struct body."""
    fields = []
    pos = 0
    while True:
        nested = re.compile(r"struct\s*\{").search(body, pos)
        end = nested.start() if nested else len(body)
        fields += [parse_declaration(d, enums) for d in body[pos:end].split(";") if d.strip()]
        if not nested:
            return fields
        depth, i = 1, nested.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(body[i], 0)
            i += 1
        inner = body[nested.end():i - 1]
        name_end = body.index(";", i)
        fields.append((body[i:name_end].strip(), ("struct", parse_fields(inner, enums))))
        pos = name_end + 1


def function_pointer(decl):
    """(name, ctypes expression) of a member such as `void *(*malloc)(size_t size, void *user)`,
    or None for another declaration."""
    match = re.fullmatch(r"(.*?)\(\s*\*\s*(\w+)\s*\)\s*\((.*)\)", " ".join(decl.split()))
    if not match:
        return None

    def ctype(text):
        text = re.sub(r"\s*\*\s*", "*", text.strip())
        return "None" if text == "void" else CTYPES[text]

    args = [ctype(re.sub(r"\w+$", "", arg)) for arg in match[3].split(",")]
    return match[2], f"ctypes.CFUNCTYPE({', '.join([ctype(match[1])] + args)})"


def parse_declaration(decl, enums):
    """(name, ctypes expression) of one declaration such as `const char *const *hints`."""
    pointer = function_pointer(decl)
    if pointer:
        return pointer
    match = re.fullmatch(r"(.*?)(\w+)(?:\[(\w+)\])?", " ".join(decl.split()))
    ctype = re.sub(r"\s*\*\s*", "*", match[1].strip())  # "const char*const*"
    name, length = match[2], match[3]
    if length:
        assert ctype == "char", decl
        return name, f"ctypes.c_char * {int(length, 0)}"
    if ctype in CTYPES:
        return name, CTYPES[ctype]
    if ctype in CALLBACKS:
        return name, CALLBACKS[ctype][0]
    if ctype in enums:
        return name, "ctypes.c_int"
    pointee = re.fullmatch(r"(?:const )?(ivrsm_\w+)\*", ctype)
    if pointee:
        return name, f"ctypes.POINTER({class_name(pointee[1])})"
    raise SystemExit(f"gen_abi.py: no ctypes for '{decl.strip()}'")


def parse(header):
    text = strip_comments(open(header, encoding="utf-8").read())
    enums = parse_enums(text)
    structs = []
    for match in re.finditer(r"typedef struct (ivrsm_\w+) \{", text):
        depth, i = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        structs.append((match[1], parse_fields(text[match.end():i - 1], enums)))
    return enums, structs


def python(header):
    enums, structs = parse(header)
    out = [
        '"""ctypes mirror of include/ivrsm/ivrsm.h, generated by bindings/python/gen_abi.py.',
        "",
        "Do not edit: run `python3 bindings/python/gen_abi.py include/ivrsm/ivrsm.h >",
        'bindings/python/ivrsm/_abi.py` after changing the header (a test checks it)."""',
        "",
        "import ctypes",
        "",
    ]
    for name, members in enums.items():
        if name == "codes":
            continue  # error codes are asked of ivrsm_errname() at run time
        out.append(f"# {name}")
        out += [f"{constant[len('IVRSM_'):]} = {value}" for constant, value in members]
        out.append("")
    out += [f"{py} = {decl}" for py, decl in CALLBACKS.values()]
    out.append("")

    def emit(cls, fields):
        for name, kind in fields:
            if isinstance(kind, tuple):
                emit(cls + name.capitalize() + "Fields", kind[1])
        out.extend(["", f"class {cls}(ctypes.Structure):", "    _fields_ = ["])
        for name, kind in fields:
            kind = cls + name.capitalize() + "Fields" if isinstance(kind, tuple) else kind
            out.append(f'        ("{name}", {kind}),')
        out.append("    ]")
        if fields and fields[0] == ("size", "ctypes.c_size_t"):
            # A versioned struct (ivrsm.h): its size set as IVRSM_*_INIT does.
            out.extend([
                "",
                "    def __init__(self, **fields):",
                "        super().__init__(size=ctypes.sizeof(type(self)), **fields)",
            ])
        out.append("")

    for c_name, fields in structs:
        emit(class_name(c_name), fields)
    out.append("# Every structure by its C name (the probe prints the same ones).")
    out.append("STRUCTS = {")
    out += [f'    "{c_name}": {class_name(c_name)},' for c_name, _ in structs]
    out.append("}")
    return "\n".join(out) + "\n"


def probe(header):
    _, structs = parse(header)
    out = [
        "/* Generated by bindings/python/gen_abi.py --probe: the C compiler's layout of",
        " * the structures of ivrsm.h, as JSON, for test_abi.py. */",
        "#include <ivrsm/ivrsm.h>",
        "#include <stddef.h>",
        "#include <stdio.h>",
        "",
        "int main(void)",
        "{",
    ]
    for n, (c_name, fields) in enumerate(structs):
        flat = []

        def walk(prefix, fs):
            for name, kind in fs:
                if isinstance(kind, tuple):
                    walk(prefix + name + ".", kind[1])
                else:
                    flat.append(prefix + name)

        walk("", fields)
        sep = "{" if n == 0 else ",\\n "
        out.append(f'    printf("{sep}\\"{c_name}\\": {{\\"size\\": %zu, \\"fields\\": {{", '
                   f"sizeof({c_name}));")
        for k, f in enumerate(flat):
            comma = ", " if k else ""
            out.append(f'    printf("{comma}\\"{f}\\": %zu", offsetof({c_name}, {f}));')
        out.append('    printf("}}");')
    out += ['    printf("}\\n");', "    return 0;", "}"]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    if sys.argv[1] == "--probe":
        sys.stdout.write(probe(sys.argv[2]))
    else:
        sys.stdout.write(python(sys.argv[1]))
