"""Answer patterns (the FHIR `regex` extension) run by RE2: matching takes linear time
whatever the pattern, so no pattern can stall validation. Patterns RE2 cannot run
(backreferences, lookaround) are refused when the form definition is checked."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import re2

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a refused pattern is reported to the designer, not logged


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> Any:
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error:
        return None


def valid(pattern: str) -> bool:
    return _compiled(pattern) is not None


def full_match(pattern: str, value: str) -> bool:
    compiled = _compiled(pattern)
    return compiled is not None and compiled.fullmatch(value) is not None
