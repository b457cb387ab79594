from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_the_models_have_no_unmade_migrations():
    out = StringIO()
    # --check exits non-zero when a migration would be made.
    call_command("makemigrations", "valet_keys", "--check", "--dry-run", stdout=out)
    assert out.getvalue() == "No changes detected in app 'valet_keys'\n"
