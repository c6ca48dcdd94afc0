"""Text for Word documents. python-docx escapes ``<`` and ``&`` itself, but XML 1.0 cannot hold most C0
control characters: a stored title with ``\\x01`` (pasted from another program) made ``add_paragraph``
raise ValueError and the whole download fail. Every Word builder passes user text through ``word_text``.
"""

from __future__ import annotations

import re

_BREAKS = re.compile("[\x0b\x0c]")  # vertical tab, form feed: Word's own line and page breaks when pasted
_ILLEGAL = re.compile("[\x00-\x08\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def word_text(value: object) -> str:
    """VALUE as text python-docx accepts: line/page breaks become newlines, other control characters go."""
    return _ILLEGAL.sub("", _BREAKS.sub("\n", str(value)))
