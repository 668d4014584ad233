from django.urls import path

from clinic import message_views, notice_views, views

app_name = "clinic"

urlpatterns = [
    # The patient's side
    path("sharing/", views.sharing, name="sharing"),
    path("sharing/<int:pk>/stop/", views.share_revoke, name="share_revoke"),
    path("sharing/who-looked/", views.access_log, name="access_log"),
    path("messages/", message_views.message_list, name="messages"),
    path("messages/<int:pk>/read/", message_views.message_read, name="message_read"),
    # The clinician's side
    path("clinic/", views.queue, name="queue"),
    path("clinic/new-code/", views.new_code, name="new_code"),
    path("clinic/requests/", views.requests_waiting, name="requests"),
    path("clinic/notices/", notice_views.notice_settings, name="notices"),
    # The one-click stop link of notice e-mails (no sign-in; a signed, single-purpose token).
    path("clinic/notices/stop/<str:token>/", notice_views.notice_stop, name="notice_stop"),
    path("clinic/requests/<int:pk>/accept/", views.request_accept, name="request_accept"),
    path("clinic/requests/<int:pk>/decline/", views.request_decline, name="request_decline"),
    path("clinic/patients/<int:patient_id>/", views.patient_detail, name="patient_detail"),
    path(
        "clinic/patients/<int:patient_id>/acknowledge/",
        views.acknowledge,
        name="acknowledge",
    ),
    path("clinic/patients/<int:patient_id>/notes/", views.note_add, name="note_add"),
    path(
        "clinic/patients/<int:patient_id>/message/",
        message_views.message_send,
        name="message_send",
    ),
    path("clinic/patients/<int:patient_id>/summary/", views.summary, name="summary"),
    path("clinic/patients/<int:patient_id>/export-csv.zip", views.export_csv, name="export_csv"),
    path("clinic/patients/<int:patient_id>/fhir.json", views.export_fhir, name="export_fhir"),
]
