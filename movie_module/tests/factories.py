import datetime

import factory

from authentication.tests.factories import UserFactory
from movie_module.models import CorpusRating, Movie, Review, ReviewLike, Watch, WatchlistItem


class MovieFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Movie

    imdb_id = factory.Sequence(lambda number: f"tt{9000000 + number:07d}")
    title = factory.Sequence(lambda number: f"Movie {number}")
    year = 2000
    genres = factory.LazyFunction(lambda: ["Drama"])
    directors = factory.LazyFunction(lambda: ["A Director"])
    cast = factory.LazyFunction(lambda: ["An Actor", "Another Actor"])
    runtime_minutes = 120
    source = Movie.Source.DEMO


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
