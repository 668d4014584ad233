from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from portal import offline, views
from tracker import report_views

admin.site.site_header = _("Back cramp care: staff")
admin.site.site_title = _("Back cramp care admin")

handler500 = "portal.views.server_error"
# allauth's rate limits answer with this view (a plain page, status 429).
handler429 = "portal.views.too_many_requests"

urlpatterns = [
    path("", views.home, name="home"),
    path("get-help/", views.get_help, name="get_help"),
    # The privacy notice and terms of use (issue 19), and the page that asks again after a change.
    path("privacy/", views.privacy, name="privacy"),
    path("terms/", views.terms, name="terms"),
    path("consent/", include("accounts.urls")),
    path("accounts/profile/", views.profile, name="profile"),
    # django-allauth: sign-up, login, logout, e-mail, password, second factors, sessions.
    path("accounts/", include("allauth.urls")),
    path("tracker/", include("tracker.urls")),
    # A patient's read-only report link (issue 20): no sign-in, the secret in the address.
    path("r/<str:token>/", report_views.shared_report, name="report_shared"),
    path("r/<str:token>/report.pdf", report_views.shared_report_pdf, name="report_shared_pdf"),
    path("", include("clinic.urls")),
    path("health/", views.health, name="health"),
    path("ping/", views.ping, name="ping"),
    path("favicon.ico", views.favicon, name="favicon"),
    # The installable app (issue 16): its manifest, the page shown offline, the iOS icon.
    path("manifest.webmanifest", offline.manifest, name="manifest"),
    path("offline/", offline.offline, name="offline"),
    path("apple-touch-icon.png", offline.apple_touch_icon, name="apple_touch_icon"),
    path("", include("education.urls")),
    path("admin/", admin.site.urls),
]
