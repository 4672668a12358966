from django.core.management.base import BaseCommand

from movie_module.recommendations import services
from movie_module.recommendations import store as model_store


class Command(BaseCommand):
    help = (
        "Fit the recommender on every stored rating (corpus and reviews) and replace the "
        "saved model atomically; running workers pick it up by themselves."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-due",
            action="store_true",
            help="only when RECOMMENDER_REFIT_AFTER_REVIEWS reviews arrived since the last fit (for cron)",
        )

    def handle(self, *args, if_due, **options):
        summary = services.recommender_refit_if_due() if if_due else model_store.fit_and_save()
        if summary is None:
            self.stdout.write("The recommender is up to date (or another fit is running).")
            return
        self.stdout.write(
            f"Fitted the recommender on {summary['ratings']} ratings of {summary['movies']} movies "
            f"in {summary['seconds']:.1f} s: {model_store.similarity_path()}"
        )
