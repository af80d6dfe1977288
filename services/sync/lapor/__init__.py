"""The SP4N-LAPOR! adapter: client, mapping (everything API-specific), callback signing.

See ``contracts/lapor-api.md``. The rest of Simpul imports from here, never from httpx.
"""

from services.sync.lapor.client import LaporClient
from services.sync.lapor.errors import (
    InvalidLaporDate,
    LaporAuthError,
    LaporError,
    LaporMappingError,
    LaporNotFound,
    LaporProtocolError,
    LaporTerminalError,
    LaporTransientError,
    LaporUnavailable,
    LaporUncertainOutcome,
    UnknownSimpulStatus,
    UnknownStatusCode,
    UnknownStatusName,
)
from services.sync.lapor.models import (
    CaseForLapor,
    LaporCategory,
    LaporComplaint,
    LaporFile,
    LaporFollowup,
    LaporFollowupFile,
    LaporInstitution,
    LaporLog,
    LaporPage,
    LaporStatusLog,
    LaporTemplate,
)
from services.sync.lapor.profile import LaporProfile
from services.sync.lapor.resilience import BreakerState, CircuitBreaker, TokenBucket
from services.sync.lapor.signing import CallbackSignatureError, sign, verify

__all__ = [
    "BreakerState",
    "CallbackSignatureError",
    "CaseForLapor",
    "CircuitBreaker",
    "InvalidLaporDate",
    "LaporAuthError",
    "LaporCategory",
    "LaporClient",
    "LaporComplaint",
    "LaporError",
    "LaporFile",
    "LaporFollowup",
    "LaporFollowupFile",
    "LaporInstitution",
    "LaporLog",
    "LaporMappingError",
    "LaporNotFound",
    "LaporPage",
    "LaporProfile",
    "LaporProtocolError",
    "LaporStatusLog",
    "LaporTemplate",
    "LaporTerminalError",
    "LaporTransientError",
    "LaporUnavailable",
    "LaporUncertainOutcome",
    "TokenBucket",
    "UnknownSimpulStatus",
    "UnknownStatusCode",
    "UnknownStatusName",
    "sign",
    "verify",
]
