"""The house's layout, checked: selectors only read, the IMDb client and the recommender
know nothing of Django, and no module grows past what a newcomer can read (../shared/STYLE.md)."""

import ast
from pathlib import Path

import pytest

from tests.servers import BASE_DIR

APPS = ["api", "authentication", "chat", "movie_module", "scrapbook", "your_data"]
LONGEST_MODULE_LINES = 450


def modules(*folders: str):
    for folder in folders:
        for path in sorted((BASE_DIR / folder).rglob("*.py")):
            if "migrations" not in path.parts and "tests" not in path.parts:
                yield path


def imported_names(path: Path) -> set[str]:
    """Every module `path` imports, absolute (relative imports resolved from its package)."""
    package = path.relative_to(BASE_DIR).with_suffix("").parts[:-1]
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else ()
            module = ".".join([*base, *([node.module] if node.module else [])])
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


SELECTORS = [path for path in modules(*APPS) if path.name == "selectors.py"]


@pytest.mark.parametrize("path", SELECTORS, ids=lambda path: str(path.relative_to(BASE_DIR)))
def test_selectors_only_read(path):
    writers = {
        name
        for name in imported_names(path)
        if name.rsplit(".", 1)[-1] in {"services", "tasks"}
        or ".services." in name
        or ".tasks." in name
        or name.startswith(("requests", "movie_module.imdb.client"))
    }
    assert writers == set(), f"{path.name} imports code that writes or calls out: {sorted(writers)}"


@pytest.mark.parametrize(
    "package", ["movie_module/imdb", "movie_module/recommender", "your_data/imports/formats"]
)
def test_pure_packages_know_nothing_of_django(package):
    for path in modules(package):
        django = {name for name in imported_names(path) if name.split(".")[0] in {"django", "rest_framework"}}
        assert django == set(), f"{path.relative_to(BASE_DIR)} imports {sorted(django)}"


def test_no_module_is_longer_than_a_newcomer_can_read():
    long = {
        str(path.relative_to(BASE_DIR)): lines
        for path in modules(*APPS)
        # Settings are a list read by name, each with its reason: long, not hard to read.
        if path.name != "settings.py" and (lines := len(path.read_text().splitlines())) > LONGEST_MODULE_LINES
    }
    assert long == {}
