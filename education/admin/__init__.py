"""The library's admin, for editors and clinical reviewers (education.services has the rules).

- A draft that was never published is edited on its own page; "Send for review" makes a
  revision of it.
- A published article's page is read only: "Propose a change" opens a revision, a copy of
  its words, which the editor changes on the revision's page.
- A clinical reviewer who wrote none of a revision approves it (or sends it back) on its
  review page, which shows what changes for readers and what the publishing rules refuse.
- The history of an article lists its revisions with their differences; an old one can be
  proposed again.
"""

from education.admin.articles import ArticleAdmin, ArticleDueForReviewAdmin
from education.admin.revisions import ArticleRevisionAdmin

__all__ = ["ArticleAdmin", "ArticleDueForReviewAdmin", "ArticleRevisionAdmin"]
