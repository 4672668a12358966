from django.contrib import admin
from django.db.models import Count

from .catalogue.counters import recount_movies
from .models import (
    Activity,
    CorpusRating,
    Follow,
    Genre,
    Movie,
    MovieGenre,
    MovieList,
    MovieListItem,
    Review,
    ReviewLike,
    Watch,
    WatchlistItem,
)
from .titles import folded_words


class GenreListFilter(admin.SimpleListFilter):
    """Movies of one genre, through the genre's index of links: no DISTINCT over the catalogue,
    which filtering across the many-to-many would add."""

    title = "genre"
    parameter_name = "genre"

    def lookups(self, request, model_admin):
        return [(str(genre.pk), genre.name) for genre in Genre.objects.order_by("name")]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        try:
            genre_id = int(self.value())
        except ValueError:
            return queryset.none()
        return queryset.filter(id__in=MovieGenre.objects.filter(genre_id=genre_id).values("movie_id"))


class MovieGenreInline(admin.TabularInline):
    model = MovieGenre
    extra = 1
    autocomplete_fields = ["genre"]
    verbose_name = "genre"


@admin.register(Genre)
class GenreAdmin(admin.ModelAdmin):
    list_display = ["name", "movie_count"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(movie_count=Count("movie_links"))

    @admin.display(ordering="movie_count")
    def movie_count(self, genre):
        return genre.movie_count


@admin.register(Movie)
class MovieAdmin(admin.ModelAdmin):
    list_display = ["title", "year", "imdb_id", "imdb_rating", "review_count", "source", "refreshed_at"]
    list_filter = ["source", GenreListFilter, "year"]
    # search_names holds every name folded, alternate titles included: the term is folded too.
    search_fields = ["title", "imdb_id", "search_names"]
    readonly_fields = ["created_at", "refreshed_at", "review_count", "average_rating", "popularity"]
    inlines = [MovieGenreInline]
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

    # Corpus ratings are counted in their movies' popularity, but written in bulk elsewhere,
    # with no signal (catalogue/counters.py): the admin recounts what it changes.
    def save_model(self, request, obj, form, change):
        previous_movie_id = form.initial.get("movie")
        super().save_model(request, obj, form, change)
        recount_movies([obj.movie_id, previous_movie_id])

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        recount_movies([obj.movie_id])

    def delete_queryset(self, request, queryset):
        movie_ids = set(queryset.values_list("movie_id", flat=True))
        super().delete_queryset(request, queryset)
        recount_movies(movie_ids)


# Diary, lists and people (issue 17). These tables grow with every user's activity: foreign
# keys are raw ids (no select of every user or movie), filters only on a few-valued column,
# and no full count under each page.


@admin.register(Watch)
class WatchAdmin(admin.ModelAdmin):
    list_display = ["movie", "user", "watched_on", "rating", "created_at"]
    list_filter = ["rating"]
    search_fields = ["user__username", "movie__title", "movie__imdb_id", "note"]
    list_select_related = ["user", "movie"]
    raw_id_fields = ["user", "movie"]
    readonly_fields = ["created_at"]
    show_full_result_count = False


class MovieListItemInline(admin.TabularInline):
    model = MovieListItem
    raw_id_fields = ["movie"]
    fields = ["position", "movie", "note"]
    extra = 0


@admin.register(MovieList)
class MovieListAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "public", "updated_at"]
    list_filter = ["public"]
    search_fields = ["name", "owner__username"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [MovieListItemInline]
    show_full_result_count = False


@admin.register(MovieListItem)
class MovieListItemAdmin(admin.ModelAdmin):
    list_display = ["movie", "movie_list", "position"]
    search_fields = ["movie__title", "movie__imdb_id", "movie_list__name"]
    list_select_related = ["movie", "movie_list"]
    raw_id_fields = ["movie", "movie_list"]
    show_full_result_count = False


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ["follower", "followed", "created_at"]
    search_fields = ["follower__username", "followed__username"]
    list_select_related = ["follower", "followed"]
    raw_id_fields = ["follower", "followed"]
    show_full_result_count = False


@admin.register(ReviewLike)
class ReviewLikeAdmin(admin.ModelAdmin):
    list_display = ["user", "review", "created_at"]
    search_fields = ["user__username", "review__movie__title"]
    list_select_related = ["user", "review__movie", "review__user"]
    raw_id_fields = ["user", "review"]
    show_full_result_count = False


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "kind", "created_at"]
    list_filter = ["kind"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    raw_id_fields = ["user", "review", "watch", "movie_list", "follow"]
    readonly_fields = ["created_at"]
    show_full_result_count = False
