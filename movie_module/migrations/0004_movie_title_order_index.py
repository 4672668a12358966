from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("movie_module", "0003_sqlite_title_search_index")]

    operations = [
        migrations.RemoveIndex(model_name="movie", name="movie_title_lower_idx"),
        # The catalogue is listed by title: the index hands out a page without a sort.
        migrations.AddIndex(
            model_name="movie", index=models.Index(fields=["title", "id"], name="movie_title_idx")
        ),
    ]
