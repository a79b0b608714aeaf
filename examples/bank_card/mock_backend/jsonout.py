"""JSON as a bank's backend writes it: amounts keep their cents ("12.50", not 12.5).

Amounts are decimal.Decimal in the data; json.dumps would refuse them (or,
through float, lose the trailing zero). This writer prints a Decimal as its
own digits and everything else as json.dumps does.
"""

import json
from decimal import Decimal


def dumps(value) -> str:
    """The compact JSON text of value (dicts, lists, strings, numbers, Decimal, bools, None)."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("an amount must be finite")
        return format(value, "f")
    if isinstance(value, dict):
        items = (f"{json.dumps(str(k), ensure_ascii=False)}:{dumps(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)
