from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tracker import reminders


class Command(BaseCommand):
    help = (
        "Run one scheduling pass: queue the daily reminders and weekly summaries due now, as "
        "the scheduler does every minute. The worker sends what it queues."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--now",
            help="Run the pass as if at this aware ISO time (e.g. 2027-03-28T01:30:00+00:00).",
        )

    def handle(self, *args: object, now: str | None = None, **options: object) -> None:
        moment = timezone.now()
        if now:
            parsed = parse_datetime(now)
            if parsed is None or parsed.tzinfo is None:
                self.stderr.write("--now needs an ISO time with its offset, e.g. ...+00:00")
                raise SystemExit(2)
            moment = parsed
        self.stdout.write(str(reminders.send_due_reminders(now=moment)))
