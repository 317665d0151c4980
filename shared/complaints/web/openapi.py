"""Each service's OpenAPI document, shaped for the clients generated from it: readable operation ids,
the two ways to authenticate (`complaints.web.auth`), and every refusal a problem document.

Operation ids are the route functions' names, in snake_case (`start_investigation`, `read`): stable as long
as the function keeps its name, unique across the four services (the gateway's contract checks it).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from complaints.web.problems import MEDIA_TYPE, ProblemDocument

PROBLEM = {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDocument"}}}
# What any operation that takes credentials may answer, besides what its route documents.
REFUSALS = {"401": "No, unknown, revoked or expired credentials", "403": "These credentials do not allow this",
            "422": "Invalid fields, each named"}
# Paths that answer errors in a standard's own format, not as problem documents: Open311 GeoReport v2
# (`[{"code": 400, "description": ...}]`, intake/open311.py) documents its own.
OWN_ERROR_FORMAT = ("/open311/",)


def operation_id(route: APIRoute) -> str:
    return route.name


def install(app: FastAPI) -> None:
    """The app's document is FastAPI's, with every 4xx answered as the problem handlers answer it."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = problem_responses(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def problem_responses(document: dict[str, Any]) -> dict[str, Any]:
    """Every 4xx as `application/problem+json`: FastAPI's own 422 body (`HTTPValidationError`) is never sent,
    `complaints.web.problems` answers every error."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    problem = ProblemDocument.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}), ProblemDocument=problem)
    for path, operations in document["paths"].items():
        if path.startswith(OWN_ERROR_FORMAT):
            for operation in operations.values():  # FastAPI's 422 is never sent there: nothing is validated
                operation["responses"].pop("422", None)
            continue
        for operation in operations.values():
            responses = operation["responses"]
            for code, text in REFUSALS.items():
                if operation.get("security") or code in responses:
                    responses.setdefault(code, {"description": text})
            if responses.get("422", {}).get("description") == "Validation Error":
                responses["422"]["description"] = REFUSALS["422"]
            for code, response in responses.items():
                if code.startswith("4"):
                    response["content"] = PROBLEM
                # FastAPI types any body that is not JSON as a string, beside the model it was given (the
                # live stream's events): the model is what it is.
                for content in response.get("content", {}).values():
                    if "$ref" in content.get("schema", {}):
                        content["schema"].pop("type", None)
    return document
