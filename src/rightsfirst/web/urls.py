"""URL configuration: each area of the application brings its own routes."""

from typing import Any

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from rightsfirst.web.views import (
    account,
    api,
    approvals,
    cases,
    dashboard,
    emergency,
    erasure,
    framework_browser,
    measures,
    monitoring,
    records,
    rights_sheet,
    screening,
    search,
    security_keys,
)


class SignOutView(auth_views.LogoutView):
    """Sign out, and ask the browser to forget everything this site left in it."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = '"cache", "cookies", "storage"'
        return response


urlpatterns = [
    *account.urlpatterns,
    *security_keys.urlpatterns,
    *approvals.urlpatterns,
    path("logout/", SignOutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.api.urls),
    *cases.urlpatterns,
    *screening.urlpatterns,
    *measures.urlpatterns,
    *records.urlpatterns,
    *erasure.urlpatterns,
    *emergency.urlpatterns,
    *rights_sheet.urlpatterns,
    *search.urlpatterns,
    *dashboard.urlpatterns,
    *monitoring.urlpatterns,
    *framework_browser.urlpatterns,
]

handler400 = "rightsfirst.web.views.cases.bad_request"
handler404 = "rightsfirst.web.views.cases.not_found"
handler403 = "rightsfirst.web.views.cases.forbidden"
handler500 = "rightsfirst.web.views.cases.server_error"
