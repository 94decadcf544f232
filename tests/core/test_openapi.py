"""The OpenAPI document, which third parties generate clients from: every schema has its own
plain name. Two classes with one name make FastAPI spell both with their module path
(`backend__reports__schemas__EnrollInput`), and a generated client with them."""

from collections import Counter

from openapi_spec_validator import validate

from backend.main import create_app


def test_schema_names_are_unique_and_plain() -> None:
    schemas = create_app().openapi()["components"]["schemas"]
    with_path = sorted(n for n in schemas if "__" in n or n.lower().startswith("backend"))
    titles = Counter(s.get("title", n) for n, s in schemas.items())
    shared = sorted(t for t, n in titles.items() if n > 1)
    assert (with_path, shared) == ([], [])


def test_the_document_validates() -> None:
    validate(create_app().openapi())


def test_every_refusal_has_the_error_body() -> None:
    """Each operation declares the refusals it can answer with the one Error body: 401, 403
    and 429 wherever a token is needed, 404 and 422 wherever there is input, 503 everywhere;
    FastAPI's own 422 body (which this server never sends) is gone."""
    spec = create_app().openapi()
    wrong = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if path == "/api/v1/health":
                continue  # its 503 has its own body, for monitors
            responses = op["responses"]
            needed = {"503"}
            if op.get("security"):
                needed |= {"401", "403", "429"}
            if op.get("parameters") or "requestBody" in op:
                needed |= {"404", "422"}
            for status in sorted(needed - set(responses)):
                wrong.append(f"{method.upper()} {path}: {status} undeclared")
            for status, answer in responses.items():
                if status[0] in "45":
                    body = answer.get("content", {}).get("application/json", {}).get("schema")
                    if body != {"$ref": "#/components/schemas/Error"}:
                        wrong.append(f"{method.upper()} {path}: {status} body {body}")
    assert wrong == []
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_a_resent_self_report_and_the_multipart_form_are_typed() -> None:
    op = create_app().openapi()["paths"]["/api/v1/self-reports"]["post"]
    receipt = {"$ref": "#/components/schemas/SelfReportReceipt"}
    assert op["responses"]["200"]["content"]["application/json"]["schema"] == receipt
    assert op["responses"]["201"]["content"]["application/json"]["schema"] == receipt
    form = op["requestBody"]["content"]["multipart/form-data"]
    assert form["schema"]["properties"]["report"]["type"] == "object"
    assert form["encoding"]["report"]["contentType"] == "application/json"
    assert form["schema"]["properties"]["photos"]["items"]["format"] == "binary"


def test_the_main_bodies_show_an_example_that_their_own_model_accepts() -> None:
    from backend.accounts.schemas import ApiClientCreate
    from backend.households.schemas import HouseholdCreate
    from backend.rectification.schemas import ProblemCreate
    from backend.reports.schemas import SelfReportCreate, VerifyInput

    schemas = create_app().openapi()["components"]["schemas"]
    for model in (ApiClientCreate, HouseholdCreate, ProblemCreate, VerifyInput):
        assert schemas[model.__name__]["examples"] == [model.EXAMPLE]
        model.model_validate(model.EXAMPLE)
    SelfReportCreate.model_validate(SelfReportCreate.EXAMPLE)


def test_every_replay_answers_the_body_its_creation_does() -> None:
    """An operation that answers 201 for a new record and 200 for the same one sent again
    (a visit, a self-report, a department's warning) types both alike: a generated client
    reads the replay as it reads the creation."""
    spec = create_app().openapi()
    wrong = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            answers = op["responses"]
            if "200" in answers and "201" in answers:
                body = [
                    answers[s].get("content", {}).get("application/json", {}).get("schema")
                    for s in ("200", "201")
                ]
                if body[0] != body[1] or body[0] is None:
                    wrong.append(f"{method.upper()} {path}: 200 {body[0]}, 201 {body[1]}")
    assert wrong == []


def test_the_client_credentials_flow_and_its_scopes_are_declared() -> None:
    """An API client's token (OAuth2 client credentials) and every scope an administrator
    can grant, in the document beside a person's password flow."""
    from backend.accounts.models import ApiScope

    (scheme,) = create_app().openapi()["components"]["securitySchemes"].values()
    assert scheme["flows"]["password"]["tokenUrl"] == "/api/v1/auth/token"
    client = scheme["flows"]["clientCredentials"]
    assert client["tokenUrl"] == "/api/v1/auth/client-token"
    assert client["scopes"] == {s.value: s.label for s in ApiScope}
