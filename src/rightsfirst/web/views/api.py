"""The REST API (django-ninja), with an OpenAPI schema at /api/openapi.json and docs at /api/docs."""

from ninja import NinjaAPI

api = NinjaAPI(title="Rightsfirst API", version="1")
