from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from education.library import CONTENT_DIR, LibraryError, load_library
from education.services import APPROVE_PERMISSION, last_role, reviewer_name


class Command(BaseCommand):
    help = (
        "Load the article library from education/content/ (safe to run again). Articles the "
        "files mark published wait for a clinical reviewer, unless --approve-as names one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--directory", default=str(CONTENT_DIR), help="Folder of .md files.")
        parser.add_argument(
            "--approve-as",
            metavar="USERNAME",
            help="Approve the library's waiting articles in this clinical reviewer's name.",
        )
        parser.add_argument(
            "--role",
            default="",
            help="The reviewer's role as readers see it (default: the role of their last "
            "approval).",
        )

    def handle(
        self, *args: object, directory: str, approve_as: str | None, role: str, **options: object
    ) -> None:
        reviewer = None
        if approve_as:
            reviewer = get_user_model().objects.filter(username=approve_as).first()
            if reviewer is None or not reviewer.has_perm(APPROVE_PERMISSION):
                raise CommandError(f"{approve_as!r} is not a clinical reviewer's account.")
            if not reviewer_name(reviewer):
                raise CommandError(f"{approve_as!r} has no first and last name to show readers.")
            if not (role or last_role(reviewer)):
                raise CommandError("Give --role: the reviewer's role as readers will see it.")
        try:
            report = load_library(Path(directory), approve_as=reviewer, reviewer_role=role)
        except LibraryError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Articles: {len(report.created)} created, {len(report.updated)} updated, "
            f"{len(report.unchanged)} unchanged, {len(report.kept_edits)} kept as edited by staff, "
            f"{len(report.approved)} approved, {len(report.waiting)} waiting for review."
        )
        for slug in report.kept_edits:
            self.stdout.write(f"  kept (edited since the last load): {slug}")
        for slug, problems in report.refused.items():
            self.stderr.write(f"  not approved: {slug}: {' '.join(problems)}")
        if report.waiting:
            self.stdout.write(
                "  A clinical reviewer approves the waiting articles in the admin "
                "(Education > Article revisions), or run again with --approve-as."
            )
