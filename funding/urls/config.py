"""Pages of funding: the county's configuration of categories, sources and rural income (views/config.py)."""

from django.urls import path

from ..views import config

urlpatterns = [
    path("config/", config.ConfigView.as_view(), name="config"),
    path("config/categories/new/", config.CategoryCreateView.as_view(), name="category_create"),
    path("config/categories/<str:pk>/edit/", config.CategoryUpdateView.as_view(), name="category_update"),
    path("config/sources/new/", config.SourceCreateView.as_view(), name="source_create"),
    path("config/sources/<str:pk>/edit/", config.SourceUpdateView.as_view(), name="source_update"),
    path("config/incomes/", config.IncomeSetView.as_view(), name="income_set"),
    path("config/defaults/", config.DefaultsEnsureView.as_view(), name="defaults_ensure"),
]
