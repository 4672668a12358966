import io

import pytest
from django.core.management import call_command

from movie_module.catalogue import demo
from movie_module.models import CorpusRating, Movie

pytestmark = pytest.mark.django_db


def test_load_demo_data_fills_the_catalogue_and_the_corpus():
    call_command("load_demo_data", users=20, stdout=io.StringIO())
    assert Movie.objects.count() == len(demo.load_catalogue())
    assert CorpusRating.objects.filter(source=demo.DEMO_SOURCE).exists()
