"""Who an officer notification goes to, and by which way.

An officer is a staff account (``shared/models/identity.StaffUser``) with contacts and a
preferred channel (``notify_channel``: ``email``, ``whatsapp``, ``sms``, ``telegram``). Each
message is queued on the first of these that the account has an address for:

1. the preferred channel (WhatsApp and SMS to ``phone``, Telegram to ``telegram_chat_id``,
   e-mail to ``email``);
2. e-mail, if the account has an address;
3. the ``log`` channel addressed ``user:<id>``, which the operator sees at
   ``GET /admin/outbound-messages`` (no address on file is still on record).

The rest of that list rides with the message (``params["fallbacks"]``): when the sender
finds a way not configured or refused, it queues the next one (``services/intake/notify/
sender.py``), so a pemda without a WhatsApp contract still reaches its officers by e-mail.

Who is told:

* the OPD's officers: its active ``opd`` accounts (pejabat penghubung and Admin UPP); for
  the Inspektorat (OPD kind ``apip``), the active ``apip`` accounts;
* its penanggung jawab: active accounts with ``penanggung_jawab_opd`` = the OPD;
* Admin Instansi: the active ``admin_instansi`` accounts (none yet: the desk's address,
  ``SIMPUL_ADMIN_INSTANSI_EMAIL``, else the ``log`` line ``admin_instansi``).

Where a group has no account, the contact written on the OPD (``Opd.contact``,
``Opd.penanggung_jawab``) stands in — by e-mail when it is an address and SMTP is
configured, else on the ``log`` channel — and a group with nothing on file is addressed by
its role name (``opd:<CODE>:pejabat_penghubung``), as the escalations always were.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.config import Settings
from shared.models import Opd
from shared.models.identity import StaffUser

LOG_CHANNEL = "log"
EMAIL_CHANNEL = "email"
#: The Admin Instansi desk, as a recipient when no Admin Instansi account exists.
ADMIN_INSTANSI_DESK = "admin_instansi"

#: The OPD kind of the Inspektorat (``refer-apip``), whose officers are ``apip`` accounts.
APIP_KIND = "apip"
PEJABAT_PENGHUBUNG = "pejabat_penghubung"
PENANGGUNG_JAWAB = "penanggung_jawab"
ADMIN_INSTANSI = "admin_instansi"

#: The account field each preferred channel sends to.
_ADDRESS_FIELD = {
    "email": "email",
    "whatsapp": "phone",
    "sms": "phone",
    "telegram": "telegram_chat_id",
}


@dataclass(frozen=True, slots=True)
class Way:
    """One way to reach a person: a channel and the address on it."""

    channel: str
    address: str


@dataclass(frozen=True, slots=True)
class Officer:
    """One person to tell: audience (``opd`` or ``staff``), their role in this message, a
    key unique per person (``user:<id>`` or the address) and the ways, best first."""

    audience: str
    role: str
    key: str
    ways: tuple[Way, ...] = field(default=())

    @property
    def first(self) -> Way:
        return self.ways[0]

    @property
    def fallbacks(self) -> list[list[str]]:
        return [[w.channel, w.address] for w in self.ways[1:]]


def smtp_configured(settings: Settings) -> bool:
    return bool(settings.smtp_host and settings.smtp_from)


def account_ways(user: StaffUser) -> tuple[Way, ...]:
    """The ways to reach an account, best first; the last is always the ``log`` line."""
    ways: list[Way] = []
    preferred = user.notify_channel
    if preferred in _ADDRESS_FIELD:
        address = getattr(user, _ADDRESS_FIELD[preferred])
        if address:
            ways.append(Way(preferred, address))
    if user.email and all(w.channel != EMAIL_CHANNEL for w in ways):
        ways.append(Way(EMAIL_CHANNEL, user.email))
    ways.append(Way(LOG_CHANNEL, f"user:{user.id}"))
    return tuple(ways)


def contact_ways(contact: str, settings: Settings) -> tuple[Way, ...]:
    """A contact written on the OPD (no account): e-mail if it is an address, else a log line."""
    if "@" in contact and smtp_configured(settings):
        return (Way(EMAIL_CHANNEL, contact), Way(LOG_CHANNEL, contact))
    return (Way(LOG_CHANNEL, contact),)


def _from_accounts(users: Iterable[StaffUser], audience: str, role: str) -> list[Officer]:
    return [Officer(audience, role, f"user:{u.id}", account_ways(u)) for u in users]


def _stand_in(contact: str | None, fallback: str, audience: str, role: str, settings: Settings):
    address = contact or fallback
    return [Officer(audience, role, address, contact_ways(address, settings))]


@dataclass(slots=True)
class Directory:
    """The accounts that officer notifications go to, loaded once for a batch of cases
    (a sweep announces hundreds at a time: three queries, not three per case)."""

    officers: dict[str, list[StaffUser]]
    chiefs: dict[str, list[StaffUser]]
    admins: list[StaffUser]
    opds: dict[str, Opd]

    def opd_officers(self, opd_code: str, settings: Settings) -> list[Officer]:
        return self._of_opd(opd_code, PEJABAT_PENGHUBUNG, settings)

    def penanggung_jawab(self, opd_code: str, settings: Settings) -> list[Officer]:
        return self._of_opd(opd_code, PENANGGUNG_JAWAB, settings)

    def _of_opd(self, opd_code: str, role: str, settings: Settings) -> list[Officer]:
        """The OPD's accounts in ``role``, else the contact written on the OPD for it."""
        chief = role == PENANGGUNG_JAWAB
        users = (self.chiefs if chief else self.officers).get(opd_code) or []
        if users:
            return _from_accounts(users, "opd", role)
        opd = self.opds.get(opd_code)
        written = (opd.penanggung_jawab if chief else opd.contact) if opd else None
        return _stand_in(written, f"opd:{opd_code}:{role}", "opd", role, settings)

    def admin_instansi(self, settings: Settings) -> list[Officer]:
        if self.admins:
            return _from_accounts(self.admins, "staff", ADMIN_INSTANSI)
        desk = settings.admin_instansi_email or None
        return _stand_in(desk, ADMIN_INSTANSI_DESK, "staff", ADMIN_INSTANSI, settings)


async def load_directory(session: AsyncSession, opd_codes: Iterable[str]) -> Directory:
    """The active accounts of ``opd_codes`` (officers and penanggung jawab), Admin Instansi,
    and the OPDs' own contacts."""
    codes = sorted({c for c in opd_codes if c})
    officers: dict[str, list[StaffUser]] = {}
    chiefs: dict[str, list[StaffUser]] = {}
    opds: dict[str, Opd] = {}
    active = StaffUser.active.is_(True)
    if codes:
        for user in await session.scalars(
            select(StaffUser)
            .where(active, StaffUser.role == "opd", StaffUser.opd_code.in_(codes))
            .order_by(StaffUser.id)
        ):
            officers.setdefault(user.opd_code or "", []).append(user)
        for user in await session.scalars(
            select(StaffUser)
            .where(active, StaffUser.penanggung_jawab_opd.in_(codes))
            .order_by(StaffUser.id)
        ):
            chiefs.setdefault(user.penanggung_jawab_opd or "", []).append(user)
        opds = {o.code: o for o in await session.scalars(select(Opd).where(Opd.code.in_(codes)))}
        inspectorates = [code for code, opd in opds.items() if opd.kind == APIP_KIND]
        if inspectorates:  # the Inspektorat's people hold ``apip`` accounts, bound to no OPD
            apip = list(
                await session.scalars(
                    select(StaffUser).where(active, StaffUser.role == "apip").order_by(StaffUser.id)
                )
            )
            for code in inspectorates:
                officers.setdefault(code, []).extend(apip)
    admins = list(
        await session.scalars(
            select(StaffUser)
            .where(active, StaffUser.role == "admin_instansi")
            .order_by(StaffUser.id)
        )
    )
    return Directory(officers=officers, chiefs=chiefs, admins=admins, opds=opds)


def unique(people: Iterable[Officer]) -> list[Officer]:
    """Each person once (one may hold two roles: the first role named wins)."""
    seen: set[str] = set()
    out = []
    for person in people:
        if person.key not in seen:
            seen.add(person.key)
            out.append(person)
    return out
