import datetime

import factory

from authentication.tests.factories import UserFactory
from movie_module.catalogue.genres import set_movie_genres
from movie_module.models import (
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


class MovieFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Movie
        skip_postgeneration_save = True  # the genres are links, not columns of the movie

    imdb_id = factory.Sequence(lambda number: f"tt{9000000 + number:07d}")
    title = factory.Sequence(lambda number: f"Movie {number}")
    year = 2000
    directors = factory.LazyFunction(lambda: ["A Director"])
    cast = factory.LazyFunction(lambda: ["An Actor", "Another Actor"])
    runtime_minutes = 120
    source = Movie.Source.DEMO

    @factory.post_generation
    def genres(movie, create, names, **kwargs):
        """`genres=["Crime", "Drama"]`: names, as the API shows them; Drama by default."""
        if create:
            set_movie_genres({movie.pk: ["Drama"] if names is None else names})


class WatchlistItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WatchlistItem

    user = factory.SubFactory(UserFactory)
    movie = factory.SubFactory(MovieFactory)


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Review

    user = factory.SubFactory(UserFactory)
    movie = factory.SubFactory(MovieFactory)
    rating = 4.0
    body = "Worth it."


class CorpusRatingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CorpusRating

    source = "test"
    external_user_id = factory.Sequence(str)
    movie = factory.SubFactory(MovieFactory)
    rating = 4.0


class GenreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Genre

    name = factory.Sequence(lambda number: f"Genre {number}")


class MovieGenreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MovieGenre

    movie = factory.SubFactory(MovieFactory, genres=[])
    genre = factory.SubFactory(GenreFactory)


class ReviewLikeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewLike

    user = factory.SubFactory(UserFactory)
    review = factory.SubFactory(ReviewFactory)


class WatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Watch

    user = factory.SubFactory(UserFactory)
    movie = factory.SubFactory(MovieFactory)
    watched_on = datetime.date(2024, 3, 1)


class MovieListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MovieList

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda number: f"List {number}")


class MovieListItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MovieListItem

    movie_list = factory.SubFactory(MovieListFactory)
    movie = factory.SubFactory(MovieFactory)
    position = factory.Sequence(int)


class FollowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Follow

    follower = factory.SubFactory(UserFactory)
    followed = factory.SubFactory(UserFactory)


class ActivityFactory(factory.django.DjangoModelFactory):
    """A review's activity by its author, unless told otherwise."""

    class Meta:
        model = Activity

    review = factory.SubFactory(ReviewFactory)
    user = factory.LazyAttribute(lambda activity: activity.review.user)
    kind = Activity.Kind.REVIEW
