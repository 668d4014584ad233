from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from education.library import CONTENT_DIR, LibraryError, load_library
from education.pages import forget_public_pages


class Command(BaseCommand):
    help = "Load the article library from education/content/ (safe to run again)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--directory", default=str(CONTENT_DIR), help="Folder of .md files.")

    def handle(self, *args: object, directory: str, **options: object) -> None:
        try:
            report = load_library(Path(directory))
        except LibraryError as error:
            raise CommandError(str(error)) from error
        forget_public_pages()
        self.stdout.write(
            f"Articles: {len(report.created)} created, {len(report.updated)} updated, "
            f"{len(report.unchanged)} unchanged, {len(report.kept_edits)} kept as edited by staff."
        )
        for slug in report.kept_edits:
            self.stdout.write(f"  kept (edited since the last load): {slug}")
