"""Genres become a table (Genre, linked to movies by MovieGenre) beside the JSON list each
movie held, renamed `legacy_genres` until 0010 moves it; movies get counters of their
reviews, mean rating and popularity, which 0010 counts."""

import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("movie_module", "0008_diary_lists_follows_likes_activity"),
    ]

    operations = [
        migrations.CreateModel(
            name="Genre",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=64)),
            ],
            options={
                "ordering": ["name"],
            },
        ),
        migrations.CreateModel(
            name="MovieGenre",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
            ],
        ),
        migrations.RemoveIndex(
            model_name="movie",
            name="movie_year_idx",
        ),
        migrations.AddField(
            model_name="movie",
            name="average_rating",
            field=models.FloatField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="movie",
            name="popularity",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="movie",
            name="review_count",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.AddConstraint(
            model_name="genre",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("name"), name="genre_name_unique_any_case"
            ),
        ),
        migrations.AddField(
            model_name="moviegenre",
            name="genre",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="movie_links",
                to="movie_module.genre",
            ),
        ),
        migrations.AddField(
            model_name="moviegenre",
            name="movie",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="genre_links",
                to="movie_module.movie",
            ),
        ),
        migrations.RenameField(model_name="movie", old_name="genres", new_name="legacy_genres"),
        migrations.AddField(
            model_name="movie",
            name="genres",
            field=models.ManyToManyField(
                blank=True, related_name="movies", through="movie_module.MovieGenre", to="movie_module.genre"
            ),
        ),
    ]
