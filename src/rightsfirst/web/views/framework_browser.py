"""(Routes for this area are added here.)"""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
