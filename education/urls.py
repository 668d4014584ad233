from django.urls import path

from education import views

app_name = "education"

urlpatterns = [
    path("articles/", views.ArticleListView.as_view(), name="article_list"),
    path("articles/topic/<slug:category>/", views.CategoryView.as_view(), name="category"),
    path("articles/exercises/sheet/", views.exercise_sheet, name="exercise_sheet"),
    path("articles/<slug:slug>/", views.ArticleDetailView.as_view(), name="article_detail"),
    path("articles/<slug:slug>/preview/", views.article_preview, name="article_preview"),
    path("search/", views.search, name="search"),
    # The admin's Markdown editor asks for its preview and reading age here (staff only).
    path("draft-preview/", views.draft_preview, name="draft_preview"),
]
