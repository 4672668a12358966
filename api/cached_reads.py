"""Views whose cached reads, the caller's account included, cost one round trip to the cache."""

from rest_framework.response import Response

from authentication.authentication import token_user_id
from scrapbook.internals.request_cycles import break_view_cycles
from scrapbook.response_cache import CachedRead, fetch_together, reads_fetched_together


class CachedReadsTogether:
    """Mixed into a DRF view (first): before DRF authenticates the caller, the reads that
    `cached_reads` names and the caller's account are fetched from the cache with one
    `get_many` (scrapbook/response_cache.py), so that each `cached_value` of the request,
    the authentication's included, is served from what that one round trip brought."""

    def cached_reads(self, request, *, user_id: int | None, **url_kwargs) -> list[CachedRead]:
        """The cached reads this request will make; `user_id` is the caller's, from their
        token (None when anonymous)."""
        return []

    def dispatch(self, request, *args, **kwargs):
        with reads_fetched_together():
            response = super().dispatch(request, *args, **kwargs)
        if not isinstance(response, Response):  # a cached answer: nothing renders it later
            break_view_cycles(self)
        return response

    def initial(self, request, *args, **kwargs):
        if request.method == "GET":
            user_id = token_user_id(request)
            reads = self.cached_reads(request, user_id=user_id, **kwargs)
            if user_id is not None:
                reads = [CachedRead("auth-user", user_id=user_id), *reads]
            fetch_together(reads)
        super().initial(request, *args, **kwargs)
