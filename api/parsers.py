"""DRF's JSON parser, refusing bodies nested deeper than any request of this API needs."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

# No request body of this API nests more than a few levels; a body nested a thousand
# levels deep made the decoder raise RecursionError, a 500 with a traceback per request.
MAX_JSON_DEPTH = 32


def json_depth_exceeds(value, limit: int) -> bool:
    """Whether `value` (decoded JSON) nests containers more than `limit` levels deep."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            data = None
        else:
            if not json_depth_exceeds(data, MAX_JSON_DEPTH):
                return data
        raise ParseError(f"JSON parse error - nested more than {MAX_JSON_DEPTH} levels deep.")
