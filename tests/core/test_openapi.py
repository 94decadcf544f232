"""The OpenAPI document, which third parties generate clients from: every schema has its own
plain name. Two classes with one name make FastAPI spell both with their module path
(`backend__reports__schemas__EnrollInput`), and a generated client with them."""

from collections import Counter

from backend.main import create_app


def test_schema_names_are_unique_and_plain() -> None:
    schemas = create_app().openapi()["components"]["schemas"]
    with_path = sorted(n for n in schemas if "__" in n or n.lower().startswith("backend"))
    titles = Counter(s.get("title", n) for n, s in schemas.items())
    shared = sorted(t for t, n in titles.items() if n > 1)
    assert (with_path, shared) == ([], [])
