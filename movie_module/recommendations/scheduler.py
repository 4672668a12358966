"""Refit the recommender in the background of a running server, never inside a request.

Each worker checks every RECOMMENDER_REFIT_CHECK_SECONDS whether enough reviews arrived
since the last fit; `services.recommender_refit_if_due` takes a cache lock, so with Redis
only one worker of the deployment fits. Big corpora are better fitted by cron with
`manage.py fit_recommender --if-due` and RECOMMENDER_AUTO_REFIT=0.
"""

import asyncio
import contextlib
import logging

from django.conf import settings
from django.db import close_old_connections

from . import services

logger = logging.getLogger(__name__)

_task: asyncio.Task | None = None


def _refit_if_due():
    try:
        summary = services.recommender_refit_if_due()
        if summary:
            logger.info("Refitted the recommender on %(ratings)s ratings in %(seconds).1f s", summary)
    except Exception:
        logger.exception("The scheduled recommender refit failed; the previous model stays")
    finally:
        close_old_connections()


async def _run_forever():
    while True:
        await asyncio.to_thread(_refit_if_due)
        await asyncio.sleep(settings.RECOMMENDER_REFIT_CHECK_SECONDS)


async def start_refit_scheduler():
    global _task
    if settings.RECOMMENDER_AUTO_REFIT and _task is None:
        _task = asyncio.create_task(_run_forever(), name="recommender-refit")


async def stop_refit_scheduler():
    global _task
    if _task is not None:
        _task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await _task
        _task = None
