from django.contrib import admin

from .models import CorpusRating, Movie, Review, WatchlistItem
from .titles import folded_words


@admin.register(Movie)
class MovieAdmin(admin.ModelAdmin):
    list_display = ["title", "year", "imdb_id", "imdb_rating", "source", "refreshed_at"]
    list_filter = ["source", "year"]
    # search_names holds every name folded, alternate titles included: the term is folded too.
    search_fields = ["title", "imdb_id", "search_names"]
    readonly_fields = ["created_at", "refreshed_at"]
    # Counting 100k rows on every page load is the slow part of a big changelist.
    show_full_result_count = False
    list_per_page = 50

    def get_search_results(self, request, queryset, search_term):
        folded = " ".join(folded_words(search_term))
        return super().get_search_results(request, queryset, folded or search_term)


@admin.register(WatchlistItem)
class WatchlistItemAdmin(admin.ModelAdmin):
    list_display = ["user", "movie", "watched", "added_at", "watched_at"]
    list_filter = ["watched"]
    search_fields = ["user__username", "movie__title", "movie__imdb_id"]
    list_select_related = ["user", "movie"]
    raw_id_fields = ["user", "movie"]
    show_full_result_count = False


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["movie", "user", "rating", "contains_spoilers", "created_at"]
    list_filter = ["rating", "contains_spoilers"]
    search_fields = ["user__username", "movie__title", "movie__imdb_id", "body"]
    list_select_related = ["user", "movie"]
    raw_id_fields = ["user", "movie"]
    readonly_fields = ["created_at", "updated_at"]
    show_full_result_count = False


@admin.register(CorpusRating)
class CorpusRatingAdmin(admin.ModelAdmin):
    list_display = ["source", "external_user_id", "movie", "rating"]
    list_filter = ["source"]
    search_fields = ["external_user_id", "movie__imdb_id"]
    list_select_related = ["movie"]
    raw_id_fields = ["movie"]
    show_full_result_count = False
