"""Log records that user input cannot forge: control characters are written escaped."""

import logging
import re

# Line breaks and every other C0/C1 control character (tab included): a username such as
# "bob\nAXES: User admin logged in" must stay one line that says what it is.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escaped(match: re.Match[str]) -> str:
    return match.group(0).encode("unicode_escape").decode("ascii")


class EscapeControlCharacters(logging.Filter):
    """Rewrite a record's message with its control characters escaped (\\n, \\r, \\x1b …); tracebacks are untouched."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        escaped = CONTROL.sub(_escaped, message)
        if escaped != message:
            record.msg, record.args = escaped, ()
        return True
