from django.urls import path

from . import views

app_name = "organizations"
urlpatterns = [
    path("", views.OrganizationListView.as_view(), name="tree"),
    path("tree/children/", views.TreeChildrenView.as_view(), name="tree_children"),
    path("tree/search/", views.TreeSearchView.as_view(), name="tree_search"),
    path("<int:pk>/", views.OrganizationDetailView.as_view(), name="detail"),
    path("<int:parent_pk>/new/", views.OrganizationCreateView.as_view(), name="create"),
    path("<int:pk>/edit/", views.OrganizationEditView.as_view(), name="edit"),
    path("<int:pk>/move/", views.OrganizationMoveView.as_view(), name="move"),
    path("posts/", views.PostListView.as_view(), name="post_list"),
    path("<int:org_pk>/posts/new/", views.PostCreateView.as_view(), name="post_create"),
    path("posts/<int:pk>/edit/", views.PostEditView.as_view(), name="post_edit"),
    path("posts/<int:pk>/delete/", views.PostDeleteView.as_view(), name="post_delete"),
]
