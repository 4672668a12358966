"""The contract's promises for every path under /api/, in every mode (../shared/API.md).

- A path sent without its trailing slash is served as if it had one, whatever the method
  (Django's APPEND_SLASH redirects, which a POST cannot follow: in DEBUG it is a 500).
- Every error is JSON `{"detail"}`: Django's own answers (its 404 and 500 pages, HTML in
  DEBUG, and its 400 for a suspicious request) are replaced by the contract's shape.
"""

import json
from http import HTTPStatus

from django.urls import get_urlconf, is_valid_path

API_PREFIX = "/api/"

DETAILS = {
    400: "Bad request.",
    404: "Not found.",
    413: "The request body is too large.",
    500: "A server error occurred.",
}


def error_detail(status: int) -> str:
    try:
        return DETAILS.get(status) or HTTPStatus(status).phrase + "."
    except ValueError:
        return "Error."


# Headers that describe the body being replaced, not the answer.
REPLACED_BODY_HEADERS = ("Content-Encoding", "Content-Disposition")


def json_error_body_write(response) -> None:
    """Make error `response`'s body `{"detail": ...}`, in place; its status and its other
    headers (security headers, cookies, Allow) stay.

    In place, not a new response: Django has logged this response, and would log a new one
    a second time once the middleware returns it (a 500: without its traceback).
    """
    body = json.dumps({"detail": error_detail(response.status_code)}).encode()
    if response.streaming:
        response.streaming_content = [body]
        response.headers.pop("Content-Length")
    else:
        response.content = body
        response["Content-Length"] = str(len(body))
    response["Content-Type"] = "application/json"
    for header in REPLACED_BODY_HEADERS:
        response.headers.pop(header)


class ApiContractMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        if not request.path_info.endswith("/"):
            self.append_slash(request)
        response = self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            json_error_body_write(response)
        return response

    @staticmethod
    def append_slash(request) -> None:
        urlconf = getattr(request, "urlconf", None) or get_urlconf()
        with_slash = request.path_info + "/"
        if not is_valid_path(request.path_info, urlconf) and is_valid_path(with_slash, urlconf):
            request.path_info = with_slash
            request.path += "/"
