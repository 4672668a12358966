"""DRF's content negotiation, its choices remembered."""

from rest_framework.negotiation import DefaultContentNegotiation


class RememberedContentNegotiation(DefaultContentNegotiation):
    """DRF's own negotiation, whose choice of renderer and media type depends only on the
    request's Accept header, its format (suffix or `?format=`) and the view's renderer
    classes: made once per such combination, then remembered. Parsing the Accept header was
    a tenth of the CPU of a cached API answer, paid again on every request.

    Refusals (406, or 404 for an unknown format) are not remembered: they are raised anew.
    At most `kept` combinations are remembered, so odd Accept headers cannot grow it.
    """

    kept = 256
    _chosen: dict = {}  # (Accept, format, renderer classes) -> (renderer's index, media type)

    def select_renderer(self, request, renderers, format_suffix=None):
        format = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        key = (request.META.get("HTTP_ACCEPT", "*/*"), format, tuple(map(type, renderers)))
        chosen = self._chosen.get(key)
        if chosen is not None:
            index, media_type = chosen
            return renderers[index], media_type
        renderer, media_type = super().select_renderer(request, renderers, format_suffix)
        index = next(index for index, candidate in enumerate(renderers) if candidate is renderer)
        if len(self._chosen) >= self.kept:
            self._chosen.clear()
        self._chosen[key] = (index, media_type)
        return renderer, media_type
