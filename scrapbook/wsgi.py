"""WSGI entry point, for the admin and REST API only; chat needs the ASGI application."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scrapbook.settings")

application = get_wsgi_application()
