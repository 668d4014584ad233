import time
from collections.abc import Callable

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone

from bench import demo_data

PROGRESS_EVERY_SECONDS = 0.25
PROGRESS_BAR_WIDTH = 10


class Progress:
    """Draw `patients 3,200/10,000 [###.......] 32% 41 s` on one line, a few times a second."""

    def __init__(self, *, label: str, write: Callable[[str], None]) -> None:
        self.label = label
        self.write = write
        self.started = time.monotonic()
        self.drawn_at = 0.0

    def update(self, done: int, total: int) -> None:
        """Redraw the line, unless it was drawn a moment ago and this is not the end."""
        now = time.monotonic()
        if done < total and now - self.drawn_at < PROGRESS_EVERY_SECONDS:
            return
        self.drawn_at = now
        filled = PROGRESS_BAR_WIDTH * done // total if total else PROGRESS_BAR_WIDTH
        bar = "#" * filled + "." * (PROGRESS_BAR_WIDTH - filled)
        percent = 100 * done // total if total else 100
        seconds = now - self.started
        line = f"{self.label} {done:,}/{total:,} [{bar}] {percent}% {seconds:.0f} s"
        self.write(f"\r{line}")

    def finish(self) -> None:
        """End the line, so what comes next starts on its own."""
        self.write("\n")


class Command(BaseCommand):
    help = (
        "Fill a dedicated database with demo patients and clinicians for the benchmark, and "
        "print its name first. Creates demo-patient-00001.. (--patients), the heavy patient "
        f"{demo_data.HEAVY_USERNAME} (an episode, a check-in and drinks every day for 5 years), "
        f"demo-clinician-001.. (--clinicians) and {demo_data.BUSY_USERNAME}, with whom "
        f"{demo_data.BUSY_SHARES} patients share (the heavy one included). Patients 1, 17, 33.. "
        "have symptoms for more than 14 days up to today; 2, 12, 22.. answered red-flag "
        f"questions. The default --years ({demo_data.DEFAULT_YEARS:g}) gives about 200 episodes "
        "per patient, so --patients 10000 --clinicians 50 makes about 2 million. Drinks are "
        f"logged on most days only in the last {demo_data.DENSE_HYDRATION_DAYS} days of a "
        "history (the portal reads at most 120 at once), now and then before. Every patient has "
        "the daily reminder on by e-mail, some the weekly summary too. Refuses to run if demo "
        "accounts exist, unless --replace."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--patients", type=int, default=100, help="Numbered patients (default %(default)s)."
        )
        parser.add_argument(
            "--clinicians", type=int, default=5, help="Numbered clinicians (default %(default)s)."
        )
        parser.add_argument(
            "--years",
            type=float,
            default=demo_data.DEFAULT_YEARS,
            help="Longest history of a numbered patient, in years (default %(default)s; "
            "patients joined at different times in the last 70%% to 100%% of it).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=demo_data.DEFAULT_SEED,
            help="The same seed gives the same data (default %(default)s).",
        )
        parser.add_argument(
            "--password",
            default=demo_data.DEFAULT_PASSWORD,
            help="Password of every demo account (default %(default)s: public, so for "
            "development and benchmark databases only).",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete the existing demo accounts and all their data first (the deleted rows "
            "take space until vacuumed: a new database is cleaner for a benchmark).",
        )

    def handle(
        self,
        *args: object,
        patients: int,
        clinicians: int,
        years: float,
        seed: int,
        password: str,
        replace: bool,
        **options: object,
    ) -> None:
        if patients < 0 or clinicians < 0 or years <= 0:
            raise CommandError(
                "--patients and --clinicians cannot be negative; --years must be > 0."
            )
        name = demo_data.database_name()
        self.stdout.write(f"Writing demo data to the {connection.vendor} database “{name}”.")
        existing = demo_data.demo_users().count()
        if existing and not replace:
            raise CommandError(
                f"{existing:,} demo accounts already exist in “{name}”. Run again with --replace "
                "to delete them and all their data first."
            )
        if existing:
            self.stdout.write(f"Deleting {existing:,} demo accounts and their data…")
            demo_data.delete_demo_accounts()

        progress = Progress(
            label="patients",
            write=lambda text: self.stderr.write(text, style_func=str, ending=""),
        )
        totals = demo_data.generate(
            patients=patients,
            clinicians=clinicians,
            years=years,
            seed=seed,
            # Hashed once: every account shares it, and hashing is slow on purpose.
            password_hash=make_password(password),
            now=timezone.now(),
            on_progress=progress.update,
        )
        progress.finish()
        self.stdout.write(
            f"Created {totals.patients:,} patients and {totals.clinicians:,} clinicians, "
            f"{totals.episodes:,} episodes, {totals.checkins:,} check-ins, {totals.drinks:,} "
            f"drinks, {totals.red_flags:,} red-flag answers, {totals.medicine_doses:,} medicine "
            f"doses, {totals.function_scores:,} weekly scores and {totals.reminders:,} daily "
            f"reminders ({totals.weekly_summaries:,} with a weekly summary) in "
            f"{totals.seconds:.0f} s."
        )
        self.stdout.write(
            f"Log in as {demo_data.patient_username(1)}, {demo_data.HEAVY_USERNAME}, "
            f"{demo_data.clinician_username(1)} or {demo_data.BUSY_USERNAME} with the --password."
        )
