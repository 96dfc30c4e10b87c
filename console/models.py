"""Imports every model module, so that metadata (Alembic, create_all in tests) knows all tables."""
from console.accounts.models import *  # noqa: F401,F403
from console.audit.models import *  # noqa: F401,F403
from console.auth.models import *  # noqa: F401,F403
from console.directory.models import *  # noqa: F401,F403
from console.incidents.models import *  # noqa: F401,F403
from console.mail.models import *  # noqa: F401,F403
from console.maintenance.models import *  # noqa: F401,F403
from console.media.models import *  # noqa: F401,F403
from console.ops.models import *  # noqa: F401,F403
from console.billing.models import *  # noqa: F401,F403
from console.voicemail.models import *  # noqa: F401,F403
