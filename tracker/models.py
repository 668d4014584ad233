import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from tracker.assessment import NOTHING, Assessment
from tracker.assessment import VERSION as ASSESSMENT_VERSION
from tracker.dates import CLOCK_SKEW_TOLERANCE, zone_or_utc
from tracker.rules import RED_FLAGS_BY_CODE, effective_target_ml, peg_mean

# A foreign key that leads a composite index or unique constraint (patient then day, episode then
# code) has no index of its own. With one, PostgreSQL chose the smaller single-column index for a
# dashboard's window and then filtered the patient's whole history row by row: the SQL for a
# 5-year log took four times a typical one's (docs/performance.md).

MAX_DRINK_ML = 5000
# The zone an entry was recorded in: an IANA name, kept so a later move never re-dates it.
ZONE_MAX_LENGTH = 64


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    NOT_STATED = "", _("I'd rather not say")


class PatientProfile(models.Model):
    """What the tracker needs to know about a patient beyond their account."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="patient_profile"
    )
    sex = models.CharField(
        _("sex"),
        max_length=10,
        choices=Sex.choices,
        blank=True,
        help_text=_("Only used to suggest a daily drinks target."),
    )
    pregnant = models.BooleanField(_("I am pregnant"), default=False)
    breastfeeding = models.BooleanField(_("I am breastfeeding"), default=False)
    year_of_birth = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    limit_fluids = models.BooleanField(
        _("A doctor has told me to limit how much I drink"),
        default=False,
        help_text=_("If so, the tracker shows no drinks target."),
    )
    own_target_ml = models.PositiveIntegerField(
        _("my own daily drinks target (ml)"),
        null=True,
        blank=True,
        help_text=_("Between 1,000 and 4,000 ml. Leave empty to use the suggested target."),
    )
    glass_ml = models.PositiveSmallIntegerField(_("my usual glass (ml)"), default=200)

    class Meta:
        verbose_name = _("patient profile")
        verbose_name_plural = _("patient profiles")
        constraints = [
            models.CheckConstraint(
                condition=Q(own_target_ml__isnull=True)
                | Q(own_target_ml__gte=1000, own_target_ml__lte=4000),
                name="profile_target_between_1_and_4_litres",
                violation_error_message=_("A daily target must be between 1,000 and 4,000 ml."),
            ),
            models.CheckConstraint(
                condition=Q(glass_ml__gte=50, glass_ml__lte=1000),
                name="profile_glass_between_50_and_1000_ml",
                violation_error_message=_("A glass must hold between 50 and 1,000 ml."),
            ),
            models.CheckConstraint(
                condition=Q(year_of_birth__isnull=True)
                | Q(year_of_birth__gte=1900, year_of_birth__lte=2100),
                name="profile_year_of_birth_plausible",
                violation_error_message=_("Please check the year of birth."),
            ),
        ]

    def __str__(self) -> str:
        return f"Profile of {self.user}"

    @property
    def target_ml(self) -> int | None:
        """Return the daily drinks target to show, or None when fluids are to be limited."""
        return effective_target_ml(
            own_target_ml=self.own_target_ml,
            limit_fluids=self.limit_fluids,
            sex=self.sex or None,
            pregnant=self.pregnant,
            breastfeeding=self.breastfeeding,
        )


class Episode(models.Model):
    """One back cramp or spasm, from its start until it ended (or still going)."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="episodes",
        db_index=False,
    )
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(
        _("ended"), null=True, blank=True, help_text=_("Leave empty if it is still going.")
    )
    # The local dates the episode covers, fixed in the zone it was recorded in (CLINICAL.md 2):
    # the rules and the window queries read these, never the instants in today's zone.
    time_zone = models.CharField(_("time zone"), max_length=ZONE_MAX_LENGTH)
    start_day = models.DateField(_("first day"))
    end_day = models.DateField(_("last day"), null=True, blank=True)
    severity = models.PositiveSmallIntegerField(_("how bad, from 0 (no pain) to 10 (worst)"))
    activity = models.CharField(_("what you were doing"), max_length=200, blank=True)
    trigger_other = models.CharField(_("other trigger"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("logged"), auto_now_add=True)
    # Set on every save, so the database can refuse a start in the future at the time of writing.
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("episode")
        verbose_name_plural = _("episodes")
        indexes = [
            models.Index(fields=["patient", "-started_at"]),
            # Finds episodes still going, or ending inside a window, without reading history.
            models.Index(fields=["patient", "end_day"]),
            # Counts the episodes logged in the last hour (the write limit).
            models.Index(fields=["patient", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="episode_ends_after_it_starts",
                violation_error_message=_("The end must not be before the start."),
            ),
            models.CheckConstraint(
                # end_day__isnull=False is needed: a CHECK passes when it is NULL (unknown),
                # so "end_day >= start_day" alone lets an ended episode lack its last day.
                condition=Q(ended_at__isnull=True, end_day__isnull=True)
                | Q(ended_at__isnull=False, end_day__isnull=False, end_day__gte=F("start_day")),
                name="episode_days_match_its_end",
            ),
            models.CheckConstraint(
                condition=Q(severity__gte=0, severity__lte=10),
                name="episode_severity_0_to_10",
                violation_error_message=_("Severity must be a number from 0 to 10."),
            ),
            models.CheckConstraint(
                condition=Q(started_at__lte=F("updated_at") + CLOCK_SKEW_TOLERANCE),
                name="episode_not_started_in_the_future",
                violation_error_message=_("The start cannot be in the future."),
            ),
        ]

    def __str__(self) -> str:
        return f"Episode {self.pk} of {self.patient_id} at {self.started_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("tracker:episode_detail", kwargs={"pk": self.pk})

    @property
    def is_ongoing(self) -> bool:
        return self.ended_at is None

    @property
    def zone(self) -> ZoneInfo:
        """Return the zone the episode was recorded in, in which its days are dated."""
        return zone_or_utc(self.time_zone)


class Trigger(models.TextChoices):
    """What may have set an episode off (CLINICAL.md 3.4)."""

    HEAVY_LIFTING = "heavy_lifting", _("Heavy lifting")
    MORE_EXERCISE = "more_exercise", _("More or harder exercise or work than usual")
    NEW_ACTIVITY = "new_activity", _("A new or unfamiliar activity")
    NO_WARM_UP = "no_warm_up", _("Exercise without warming up")
    LONG_SITTING = "long_sitting", _("Sitting for a long time")
    AWKWARD_POSTURE = "awkward_posture", _("Awkward posture or long bending")
    SUDDEN_TWIST = "sudden_twist", _("A sudden twist or jerk")
    SLEEPING_POSITION = "sleeping_position", _("Awkward sleeping position")
    COLD = "cold", _("Cold or a sudden temperature change")
    LITTLE_DRINK = "little_drink", _("Drank little, sweated a lot or hot weather")
    STRESS = "stress", _("Stress or anxiety")
    TIRED_MUSCLES = "tired_muscles", _("Tired muscles")
    NONE_IDENTIFIED = "none_identified", _("None that I can think of")
    OTHER = "other", _("Something else")


class EpisodeTrigger(models.Model):
    episode = models.ForeignKey(
        Episode, on_delete=models.CASCADE, related_name="triggers", db_index=False
    )
    code = models.CharField(_("trigger"), max_length=30, choices=Trigger.choices)

    class Meta:
        verbose_name = _("trigger")
        verbose_name_plural = _("triggers")
        constraints = [
            models.UniqueConstraint(fields=["episode", "code"], name="unique_episode_trigger"),
            models.CheckConstraint(
                condition=Q(code__in=Trigger.values), name="episode_trigger_known_code"
            ),
        ]
        indexes = [models.Index(fields=["code", "episode"])]

    def __str__(self) -> str:
        return self.get_code_display()


class Relief(models.TextChoices):
    """What a patient tried for an episode (CLINICAL.md 3.4)."""

    STRETCHING = "stretching", _("Stretching and holding")
    PORTAL_EXERCISES = "portal_exercises", _("The portal's exercises")
    GENTLE_MASSAGE = "gentle_massage", _("Gentle massage")
    THERAPIST_MASSAGE = "therapist_massage", _("Massage by a therapist")
    HEAT = "heat", _("Heat")
    COLD = "cold", _("Cold")
    HOT_AND_COLD = "hot_and_cold", _("Alternating hot and cold")
    KEPT_MOVING = "kept_moving", _("Kept moving or walked")
    CHANGED_POSITION = "changed_position", _("Changed position or took a break from sitting")
    SHORT_REST = "short_rest", _("Short rest")
    RELAXATION = "relaxation", _("Relaxation or breathing")
    ANTI_INFLAMMATORY = "anti_inflammatory", _("Anti-inflammatory painkiller")
    OTHER_PAINKILLER = "other_painkiller", _("Other painkiller")
    MUSCLE_RELAXANT = "muscle_relaxant", _("Prescribed muscle relaxant")
    OTHER_PRESCRIBED = "other_prescribed", _("Other prescribed treatment")
    PHYSIOTHERAPY = "physiotherapy", _("Physiotherapy")
    DRINK = "drink", _("A drink")
    HERBAL = "herbal", _("A herbal or traditional remedy")


class Effect(models.IntegerChoices):
    """Did it help? Ordered from worse to much better so averages mean something."""

    WORSE = -1, _("Made it worse")
    NO_CHANGE = 0, _("No change")
    A_BIT_BETTER = 1, _("A bit better")
    MUCH_BETTER = 2, _("Much better")


class ReliefTried(models.Model):
    episode = models.ForeignKey(
        Episode, on_delete=models.CASCADE, related_name="relief", db_index=False
    )
    code = models.CharField(_("what you tried"), max_length=30, choices=Relief.choices)
    effect = models.SmallIntegerField(_("did it help?"), choices=Effect.choices, null=True)

    class Meta:
        verbose_name = _("relief tried")
        verbose_name_plural = _("relief tried")
        constraints = [
            models.UniqueConstraint(fields=["episode", "code"], name="unique_episode_relief"),
            models.CheckConstraint(condition=Q(code__in=Relief.values), name="relief_known_code"),
            models.CheckConstraint(
                condition=Q(effect__isnull=True) | Q(effect__in=Effect.values),
                name="relief_known_effect",
            ),
        ]

    def __str__(self) -> str:
        return self.get_code_display()


class Region(models.TextChoices):
    UPPER = "upper", _("Upper back (between the shoulder blades)")
    MID = "mid", _("Middle of the back")
    LOWER = "lower", _("Lower back")
    NECK_SHOULDER = "neck_shoulder", _("Neck and shoulder")


class Side(models.TextChoices):
    # Pain is usually on one side, so left and right come first.
    LEFT = "left", _("Left")
    RIGHT = "right", _("Right")
    BOTH = "both", _("Both sides")
    CENTRE = "centre", _("Centre")


class Spread(models.TextChoices):
    BUTTOCK = "buttock", _("Buttock")
    LEFT_LEG = "left_leg", _("Left leg")
    RIGHT_LEG = "right_leg", _("Right leg")
    BOTH_LEGS = "both_legs", _("Both legs")


class EpisodeSpread(models.Model):
    """Where the pain spreads to; "both legs" leads to the emergency questions."""

    episode = models.ForeignKey(
        Episode, on_delete=models.CASCADE, related_name="spread", db_index=False
    )
    code = models.CharField(_("spreading to"), max_length=20, choices=Spread.choices)

    class Meta:
        verbose_name = _("spread")
        verbose_name_plural = _("spread")
        constraints = [
            models.UniqueConstraint(fields=["episode", "code"], name="unique_episode_spread"),
            models.CheckConstraint(condition=Q(code__in=Spread.values), name="spread_known_code"),
        ]

    def __str__(self) -> str:
        return self.get_code_display()


class EpisodeLocation(models.Model):
    episode = models.ForeignKey(
        Episode, on_delete=models.CASCADE, related_name="locations", db_index=False
    )
    region = models.CharField(_("where"), max_length=20, choices=Region.choices)
    side = models.CharField(_("side"), max_length=10, choices=Side.choices)

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "region", "side"], name="unique_episode_location"
            ),
            models.CheckConstraint(
                condition=Q(region__in=Region.values) & Q(side__in=Side.values),
                name="location_known_codes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_region_display()}, {self.get_side_display()}"


class RedFlagAnswer(models.Model):
    """A "yes" to a red-flag question, with when it was answered and when advice was shown."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="red_flag_answers",
        db_index=False,
    )
    episode = models.ForeignKey(
        Episode, on_delete=models.SET_NULL, null=True, blank=True, related_name="red_flags"
    )
    code = models.CharField(_("question"), max_length=40)
    answered_at = models.DateTimeField(_("answered"), auto_now_add=True)
    advice_shown_at = models.DateTimeField(_("advice shown"), null=True, blank=True)

    class Meta:
        ordering = ["-answered_at", "-id"]
        verbose_name = _("red-flag answer")
        verbose_name_plural = _("red-flag answers")
        indexes = [models.Index(fields=["patient", "-answered_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__in=sorted(RED_FLAGS_BY_CODE)), name="red_flag_known_code"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.answered_at:%Y-%m-%d %H:%M})"


class Acknowledgement(models.Model):
    """A clinician saw a flag: a red-flag answer, or a run of symptoms (by its first day).

    It lives with the patient's records because the patient is shown it too.
    """

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="acknowledgements",
        db_index=False,
    )
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="acknowledgements_made"
    )
    red_flag = models.ForeignKey(
        RedFlagAnswer,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="acknowledgements",
    )
    run_first_day = models.DateField(_("run started"), null=True, blank=True)
    # For a run: which of its flags was seen (tracker.assessment.Kind), the run's last day and
    # its worst severity when it was marked, so a later change is not covered by the mark.
    kind = models.CharField(_("flag"), max_length=20, blank=True)
    run_last_day = models.DateField(_("run's last day when seen"), null=True, blank=True)
    worst_seen = models.PositiveSmallIntegerField(
        _("worst severity when seen"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("seen"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("acknowledgement")
        verbose_name_plural = _("acknowledgements")
        constraints = [
            models.CheckConstraint(
                condition=Q(red_flag__isnull=False, run_first_day__isnull=True)
                | Q(red_flag__isnull=True, run_first_day__isnull=False),
                name="acknowledges_one_thing",
            ),
        ]
        indexes = [models.Index(fields=["patient", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.clinician} saw a flag of {self.patient}"


class CheckIn(models.Model):
    """The day's summary: "no back symptoms today" (severity 0) or the day's worst severity."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="checkins",
        db_index=False,
    )
    day = models.DateField(_("day"))
    # The zone `day` is a date in (the profile's zone when the patient checked in).
    time_zone = models.CharField(_("time zone"), max_length=ZONE_MAX_LENGTH)
    worst_severity = models.PositiveSmallIntegerField(_("worst pain today, 0 to 10"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day"]
        verbose_name = _("daily check-in")
        verbose_name_plural = _("daily check-ins")
        constraints = [
            models.UniqueConstraint(fields=["patient", "day"], name="one_checkin_per_day"),
            models.CheckConstraint(
                condition=Q(worst_severity__gte=0, worst_severity__lte=10),
                name="checkin_severity_0_to_10",
                violation_error_message=_("Severity must be a number from 0 to 10."),
            ),
        ]

    def __str__(self) -> str:
        return f"Check-in {self.day} of {self.patient_id}"


class Drink(models.Model):
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="drinks",
        db_index=False,
    )
    # The local day is what the patient states (drinks may be logged for any past day) and what
    # the rules use; no separate drinking time is kept that could disagree with it.
    day = models.DateField(_("day"))
    # The zone `day` is a date in (the profile's zone when the drink was logged).
    time_zone = models.CharField(_("time zone"), max_length=ZONE_MAX_LENGTH)
    amount_ml = models.PositiveIntegerField(_("amount (ml)"))
    logged_at = models.DateTimeField(_("logged"), auto_now_add=True)

    class Meta:
        ordering = ["-day", "-logged_at", "-id"]
        verbose_name = _("drink")
        verbose_name_plural = _("drinks")
        indexes = [models.Index(fields=["patient", "day"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_ml__gte=1, amount_ml__lte=MAX_DRINK_ML),
                name="drink_between_1_and_5000_ml",
                violation_error_message=_("A drink must be between 1 and 5,000 ml."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount_ml} ml on {self.day}"


class HydrationDay(models.Model):
    """A day the patient said they logged all their drinks."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="hydration_days",
        db_index=False,
    )
    day = models.DateField(_("day"))
    complete = models.BooleanField(_("I logged all my drinks today"), default=False)

    class Meta:
        verbose_name = _("hydration day")
        verbose_name_plural = _("hydration days")
        constraints = [
            models.UniqueConstraint(fields=["patient", "day"], name="one_hydration_day_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} of {self.patient_id}"


class Submission(models.Model):
    """A form post already acted on, so a second press of the same form creates nothing more.

    Each create form carries a random key; the record and this row are written in one
    transaction, and the unique key makes a repeat (even a concurrent one) fail as a whole.
    """

    key = models.UUIDField()
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="submissions",
        db_index=False,
    )
    # Where the first post went, so the repeat lands on the same page.
    redirect_to = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("form submission")
        verbose_name_plural = _("form submissions")
        constraints = [
            models.UniqueConstraint(fields=["patient", "key"], name="unique_submission_per_patient")
        ]

    def __str__(self) -> str:
        return str(self.key)


class PatientStatus(models.Model):
    """The one stored assessment of a patient (tracker.assessment), one row per patient.

    Written by tracker.services in the same transaction as every write that can change it, and
    read by the dashboard, the clinician's queue and patient view, the summary and the exports.
    A row past `valid_until` (or of another assessment version) is recomputed when read.
    """

    patient = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="status",
    )
    urgency = models.PositiveSmallIntegerField(_("urgency"), default=0)
    # The reasons with their dates, the current run and the advice codes (Assessment.to_json).
    data = models.JSONField(_("assessment"), default=dict)
    version = models.PositiveSmallIntegerField(default=0)
    computed_at = models.DateTimeField(_("computed"), null=True)
    # When time alone could change the assessment; null when only a new write can.
    valid_until = models.DateTimeField(_("valid until"), null=True)
    # The patient's last write, for the queue's order within an urgency.
    last_logged_at = models.DateTimeField(_("last logged"), null=True)
    # The zone "today" was taken in: a row computed in another zone than the profile's is stale.
    time_zone = models.CharField(_("time zone"), max_length=ZONE_MAX_LENGTH, blank=True)
    # When the urgency last rose to two-week or above: the clinicians' notices (clinic) look for
    # rises after the last notice they sent.
    raised_at = models.DateTimeField(_("rose"), null=True, blank=True)

    class Meta:
        verbose_name = _("patient status")
        verbose_name_plural = _("patient statuses")
        constraints = [
            models.CheckConstraint(
                condition=Q(urgency__gte=0, urgency__lte=4), name="status_known_urgency"
            ),
        ]

    def __str__(self) -> str:
        return f"Status of {self.patient_id}"

    @property
    def assessment(self) -> Assessment:
        """Return the stored assessment."""
        if self.version != ASSESSMENT_VERSION:
            return NOTHING
        return Assessment.from_stored(
            urgency=self.urgency, data=self.data, valid_until=self.valid_until
        )

    def is_stale(self, *, now: datetime.datetime, time_zone: str) -> bool:
        """Tell whether the row must be recomputed before it is read."""
        return (
            self.computed_at is None
            or self.version != ASSESSMENT_VERSION
            or self.time_zone != time_zone
            or (self.valid_until is not None and self.valid_until <= now)
        )


ALL_WEEKDAYS = 0b1111111


class Reminder(models.Model):
    """A patient's choice of reminders: off until they turn it on (tracker.reminders).

    `next_daily_at` and `next_digest_at` hold the next instant each is due, worked out in the
    patient's zone from the local time and days (tracker.dates.next_occurrence), so a pass reads
    only the rows due now, by index.
    """

    patient = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="reminder",
    )
    daily = models.BooleanField(_("Remind me every day"), default=False)
    at = models.TimeField(_("at"), default=datetime.time(19, 0))
    # Bit n set: remind on weekday n (0 Monday to 6 Sunday).
    weekdays = models.PositiveSmallIntegerField(_("on these days"), default=ALL_WEEKDAYS)
    by_email = models.BooleanField(_("by e-mail"), default=True)
    by_push = models.BooleanField(_("as a notification on my phone"), default=False)
    weekly_digest = models.BooleanField(_("Send me a weekly summary by e-mail"), default=False)
    digest_weekday = models.PositiveSmallIntegerField(_("summary on"), default=6)
    next_daily_at = models.DateTimeField(null=True, blank=True)
    next_daily_day = models.DateField(null=True, blank=True)
    next_digest_at = models.DateTimeField(null=True, blank=True)
    next_digest_day = models.DateField(null=True, blank=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        indexes = [
            models.Index(
                fields=["next_daily_at"],
                name="reminder_daily_due",
                condition=Q(next_daily_at__isnull=False),
            ),
            models.Index(
                fields=["next_digest_at"],
                name="reminder_digest_due",
                condition=Q(next_digest_at__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(weekdays__gte=0, weekdays__lte=ALL_WEEKDAYS),
                name="reminder_weekdays_bits",
            ),
            models.CheckConstraint(
                condition=Q(digest_weekday__gte=0, digest_weekday__lte=6),
                name="reminder_digest_weekday",
            ),
            models.CheckConstraint(
                condition=Q(next_daily_at__isnull=True, next_daily_day__isnull=True)
                | Q(next_daily_at__isnull=False, next_daily_day__isnull=False),
                name="reminder_daily_at_and_day",
            ),
        ]

    def __str__(self) -> str:
        return f"Reminders of {self.patient_id}"

    @property
    def weekday_set(self) -> frozenset[int]:
        return frozenset(n for n in range(7) if self.weekdays & (1 << n))


# Issue 20: medicines, the weekly function score and the patient's own report.

MAX_DOSE = 100_000


class DoseUnit(models.TextChoices):
    MG = "mg", _("mg")
    G = "g", _("g")
    MCG = "mcg", _("micrograms")
    ML = "ml", _("ml")
    TABLET = "tablet", _("tablet(s)")
    CAPSULE = "capsule", _("capsule(s)")
    SACHET = "sachet", _("sachet(s)")
    PATCH = "patch", _("patch(es)")
    APPLICATION = "application", _("application(s) of a gel or cream")
    DROP = "drop", _("drop(s)")


class MedicineDose(models.Model):
    """A medicine the patient took: what, how much, when, and whether it helped."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="medicine_doses",
        db_index=False,
    )
    name = models.CharField(_("medicine"), max_length=100)
    dose = models.DecimalField(_("dose"), max_digits=9, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=20, choices=DoseUnit.choices)
    taken_at = models.DateTimeField(_("taken"))
    # The local day `taken_at` fell on, in the zone the patient logged it in: what the report
    # and the exports group by, fixed at logging so a later move never re-dates it.
    day = models.DateField(_("day"))
    time_zone = models.CharField(_("time zone"), max_length=ZONE_MAX_LENGTH)
    helped = models.SmallIntegerField(
        _("did it help?"), choices=Effect.choices, null=True, blank=True
    )
    side_effects = models.TextField(_("side effects"), max_length=500, blank=True)
    logged_at = models.DateTimeField(_("logged"), auto_now_add=True)

    class Meta:
        ordering = ["-taken_at", "-id"]
        verbose_name = _("medicine dose")
        verbose_name_plural = _("medicine doses")
        indexes = [models.Index(fields=["patient", "-taken_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(dose__gt=0, dose__lte=MAX_DOSE),
                name="medicine_dose_positive",
                violation_error_message=_("A dose must be more than 0 and at most 100,000."),
            ),
            models.CheckConstraint(condition=~Q(name=""), name="medicine_named"),
            models.CheckConstraint(
                condition=Q(helped__isnull=True) | Q(helped__gte=-1, helped__lte=2),
                name="medicine_known_effect",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.dose} {self.unit} at {self.taken_at:%Y-%m-%d %H:%M}"


class FunctionScore(models.Model):
    """The weekly PEG: pain on average, and how much pain got in the way of enjoying life and
    of general activity over the past week, each 0 to 10; the score is their mean."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="function_scores",
        db_index=False,
    )
    # The Monday of the patient's local week the answers are for: one set a week.
    week = models.DateField(_("week starting"))
    # The local day answered on, and its zone.
    day = models.DateField(_("answered on"))
    time_zone = models.CharField(_("time zone"), max_length=ZONE_MAX_LENGTH)
    pain = models.PositiveSmallIntegerField(_("pain on average"))
    enjoyment = models.PositiveSmallIntegerField(_("interference with enjoyment of life"))
    activity = models.PositiveSmallIntegerField(_("interference with general activity"))
    answered_at = models.DateTimeField(_("answered"))

    class Meta:
        ordering = ["-week"]
        verbose_name = _("weekly function score (PEG)")
        verbose_name_plural = _("weekly function scores (PEG)")
        constraints = [
            models.UniqueConstraint(fields=["patient", "week"], name="one_function_score_a_week"),
            models.CheckConstraint(
                condition=Q(pain__lte=10, enjoyment__lte=10, activity__lte=10),
                name="function_score_items_0_to_10",
                violation_error_message=_("Each answer must be a number from 0 to 10."),
            ),
        ]

    def __str__(self) -> str:
        return f"PEG for the week of {self.week} of {self.patient_id}"

    @property
    def score(self) -> float:
        """Return the PEG score: the mean of the three answers, to one decimal place."""
        return peg_mean(self.pain, self.enjoyment, self.activity)


class ReportLink(models.Model):
    """A read-only link to the patient's report for someone not on the portal (their GP).

    Only a hash of the secret in the address is kept, so the table cannot give links away. A link
    shows the period chosen when it was made, and works until it expires or is revoked.
    """

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="report_links",
        db_index=False,
    )
    token_hash = models.CharField(max_length=64, unique=True)
    since = models.DateField(_("from"))
    until = models.DateField(_("to"))
    created_at = models.DateTimeField(_("made"))
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("report link")
        verbose_name_plural = _("report links")
        indexes = [models.Index(fields=["patient", "-created_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(since__lte=F("until")), name="report_link_period"),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")), name="report_link_expires_later"
            ),
        ]

    def __str__(self) -> str:
        return f"Report link of {self.patient_id} made {self.created_at:%Y-%m-%d}"


class ReportLinkOpening(models.Model):
    """Someone opened a report link: the audit the patient sees beside the link."""

    link = models.ForeignKey(
        ReportLink, on_delete=models.CASCADE, related_name="openings", db_index=False
    )
    opened_at = models.DateTimeField(_("opened"))
    # What was fetched: the page or the PDF.
    what = models.CharField(max_length=10)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("report link opening")
        verbose_name_plural = _("report link openings")
        indexes = [models.Index(fields=["link", "-opened_at"])]

    def __str__(self) -> str:
        return f"Link {self.link_id} opened at {self.opened_at}"
