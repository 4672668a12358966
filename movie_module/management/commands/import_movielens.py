from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from movie_module import movielens
from movie_module.models import CorpusRating

SOURCE_MAX_LENGTH = CorpusRating._meta.get_field("source").max_length


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = (
        "Import a MovieLens download (the folder extracted from the GroupLens zip: ml-latest-small, "
        "ml-25m or ml-1m) into the catalogue and the ratings corpus. Safe to run again: movies are "
        "found by IMDb id and never overwritten, ratings are upserted, so a rating changed in a newer "
        "download is updated. ml-1m has no IMDb ids: its movies are matched to catalogue movies by "
        "title and year, and the ratings of unmatched movies are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="the extracted MovieLens folder")
        parser.add_argument(
            "--source",
            default="movielens",
            help="the corpus the ratings belong to (default movielens); use one name per MovieLens "
            "release, since user ids of different releases are different people",
        )
        parser.add_argument(
            "--batch-size",
            type=positive_int,
            default=movielens.DEFAULT_BATCH_SIZE,
            help=f"ratings per transaction (default {movielens.DEFAULT_BATCH_SIZE})",
        )
        parser.add_argument("--limit-ratings", type=positive_int, help="read only the first N ratings")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")

    def handle(self, *args, path, source, batch_size, limit_ratings, no_progress, **options):
        if not source or len(source) > SOURCE_MAX_LENGTH:
            raise CommandError(f"--source must be 1 to {SOURCE_MAX_LENGTH} characters.")
        progress_bar = None

        def show_progress(read_bytes: int, total_bytes: int) -> None:
            nonlocal progress_bar
            if progress_bar is None:
                progress_bar = tqdm(
                    total=total_bytes, unit="B", unit_scale=True, unit_divisor=1024, desc="ratings"
                )
            progress_bar.update(read_bytes - progress_bar.n)

        try:
            report = movielens.import_movielens(
                folder=path,
                source=source,
                batch_size=batch_size,
                limit_ratings=limit_ratings,
                on_progress=(lambda _read, _total: None) if no_progress else show_progress,
            )
        except movielens.MovieLensError as error:
            raise CommandError(str(error)) from error
        finally:
            if progress_bar is not None:
                progress_bar.close()
        self.write_summary(path, report)

    def write_summary(self, path: Path, report: movielens.ImportReport) -> None:
        skipped_ratings = sum(
            rows for (file_name, _), rows in report.skipped.items() if file_name == report.layout.ratings_file
        )
        lines = [
            f"MovieLens {report.layout.name} from {path} into source {report.source!r}.",
            f"Movies: {report.movies_created} created, {report.movies_existing} already in the catalogue "
            f"({report.movies_filled} given a missing year or genres), "
            f"{report.movies_unmatched} unmatched (no IMDb id; their ratings skipped).",
            f"Ratings: {report.ratings_imported} imported, {skipped_ratings} skipped; "
            f"source {report.source!r} now holds {report.ratings_in_source} ratings.",
        ]
        if report.skipped:
            lines.append("Skipped rows by reason:")
            lines.extend(
                f"  {file_name}: {reason}: {rows}"
                for (file_name, reason), rows in sorted(report.skipped.items())
            )
        self.stdout.write("\n".join(lines))
