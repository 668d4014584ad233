import datetime

from django.urls import path, register_converter

from tracker import medicine_views, reminder_views, report_views, score_views, views
from tracker.forms import DayField

app_name = "tracker"


class DateConverter:
    """Match a day as YYYY-MM-DD; an impossible date such as 2026-02-30 is a 404.

    So is a day outside the years the forms accept: the hydration page steps to the day before,
    which for 1 January of year 1 does not exist, and no record can belong to such a day.
    """

    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value: str) -> datetime.date:
        day = datetime.date.fromisoformat(value)
        if not DayField.first <= day <= DayField.last:
            raise ValueError(f"{value} is outside {DayField.first} to {DayField.last}")
        return day

    def to_url(self, value: datetime.date) -> str:
        return value.isoformat()


register_converter(DateConverter, "day")


class TopicConverter:
    """Match what a stop link can stop."""

    regex = "daily|digest"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(TopicConverter, "topic")

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("episodes/", views.episode_list, name="episode_list"),
    path("episodes/new/", views.episode_create, name="episode_create"),
    path("episodes/<int:pk>/", views.episode_detail, name="episode_detail"),
    path("episodes/<int:pk>/edit/", views.episode_edit, name="episode_edit"),
    path("episodes/<int:pk>/details/<slug:step>/", views.episode_step, name="episode_step"),
    path("episodes/<int:pk>/end/", views.episode_end, name="episode_end"),
    path("episodes/<int:pk>/delete/", views.episode_delete, name="episode_delete"),
    path("check-in/", views.checkin, name="checkin"),
    path("function-score/", score_views.function_score, name="function_score"),
    path("drinks/", views.hydration_day, name="hydration"),
    path("drinks/add/", views.drink_add, name="drink_add"),
    path("drinks/<day:day>/", views.hydration_day, name="hydration_day"),
    path("drinks/<day:day>/complete/", views.hydration_complete, name="hydration_complete"),
    path("drinks/entry/<int:pk>/edit/", views.drink_edit, name="drink_edit"),
    path("drinks/entry/<int:pk>/delete/", views.drink_delete, name="drink_delete"),
    path("medicines/", medicine_views.medicine_list, name="medicine_list"),
    path("medicines/add/", medicine_views.medicine_add, name="medicine_add"),
    path("medicines/<int:pk>/edit/", medicine_views.medicine_edit, name="medicine_edit"),
    path("medicines/<int:pk>/delete/", medicine_views.medicine_delete, name="medicine_delete"),
    path("red-flags/", views.red_flag_check, name="red_flag_check"),
    path("advice/", views.advice, name="advice"),
    path("settings/", views.tracker_settings, name="settings"),
    path("reminders/", reminder_views.reminder_settings, name="reminders"),
    path("reminders/device/", reminder_views.push_device, name="push_device"),
    # The one-click stop links of reminder e-mails (no sign-in; a signed, single-purpose token).
    path(
        "reminders/stop/<topic:topic>/<str:token>/",
        reminder_views.reminder_stop,
        name="reminder_stop",
    ),
    # The patient's own report (issue 20): a period's page, its PDF, and read-only links to it.
    path("report/", report_views.report, name="report"),
    path("report/report.pdf", report_views.report_pdf, name="report_pdf"),
    path("report/links/", report_views.links, name="report_links"),
    path("report/links/<int:pk>/revoke/", report_views.link_revoke, name="report_link_revoke"),
    path("your-data/", views.your_data, name="your_data"),
    path("your-data/back-cramp-log.json", views.export_json, name="export_json"),
    path("your-data/back-cramp-log-csv.zip", views.export_csv, name="export_csv"),
    path("your-data/delete-account/", views.account_delete, name="account_delete"),
]
