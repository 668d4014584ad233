"""tracker.services: what a write refuses as a whole."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tracker import services
from tracker.models import PatientStatus, RedFlagAnswer


def test_a_mistyped_red_flag_code_fails_loudly_and_stores_nothing(alice) -> None:
    """A typo must not quietly drop an emergency answer (or store the others without it)."""
    with pytest.raises(IntegrityError), transaction.atomic():
        services.record_red_flags(
            patient=alice, codes=["chest_pain", "chest_pian"], now=timezone.now()
        )
    assert not RedFlagAnswer.objects.filter(patient=alice).exists()
    assert not PatientStatus.objects.filter(patient=alice, computed_at__isnull=False).exists()
