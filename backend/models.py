"""Every domain's tables, imported so the metadata (and Alembic) sees the whole schema. The
domains' models modules are named, not their tables: a table added to one is seen here."""

from backend.accounts import models as accounts
from backend.areas import models as areas
from backend.audit import models as audit
from backend.checks import models as checks
from backend.core import idempotency
from backend.files import models as files
from backend.households import models as households
from backend.notices import models as notices
from backend.rectification import models as rectification
from backend.reports import models as reports
from backend.transfer import models as transfer
from backend.visits import models as visits
from backend.warnings import models as warnings
from backend.webhooks import models as webhooks
from backend.workdays import models as workdays
from backend.worker import models as worker

DOMAINS = (
    accounts,
    areas,
    audit,
    checks,
    idempotency,
    files,
    households,
    notices,
    rectification,
    reports,
    transfer,
    visits,
    warnings,
    webhooks,
    workdays,
    worker,
)
