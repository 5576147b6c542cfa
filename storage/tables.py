"""Every table: importing this module registers all of them on SQLModel's metadata.

For what needs the whole schema (Alembic's env.py, backup and restore, create_all in tests and
benches). The rest of the bot imports the model modules it uses, so that a short command loads
only its own tables (storage/models.py). A new capability's model module is added here.
"""

from __future__ import annotations

import storage.models  # noqa: F401  (the foundation's tables)
from storage import (  # noqa: F401
    models_announcements,
    models_awards,
    models_delivery,
    models_effects,
    models_elections,
    models_emulation,
    models_evidence,
    models_score_checks,
    models_score_drafts,
    models_years,
)
