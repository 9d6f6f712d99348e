"""Accounts: sign-up, log-in, organisations and their members.

Every function that reads or changes an organisation's data takes the caller's `Principal`
and scopes its queries to `principal.organisation_id`.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

import anyio

from app.db import transaction, utcnow
from app.domain.accounts.principal import OrganisationChoice, Principal
from app.domain.accounts.tables import Membership, Organisation, Role, User
from app.lib import audit
from app.lib.audit import Actor
from app.lib.emails import email_problem, normalise_email
from app.lib.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.settings import get_settings

MIN_PASSWORD = 10
MAX_PASSWORD = 128
MAX_NAME = 200


@dataclass(frozen=True, slots=True)
class TeamMember:
    user_id: int
    email: str
    name: str
    role: Role
    joined_at: object


# --- passwords: PBKDF2 is deliberately slow, so it runs off the event loop -----------------


async def hash_password(password: str) -> str:
    iterations = get_settings().security.password_hash_iterations
    return await anyio.to_thread.run_sync(
        lambda: User.hash_password(password, iterations=iterations)
    )


async def verify_password(stored: str, password: str) -> bool:
    try:
        _, iterations, salt, _ = User.split_stored_password(stored)
    except ValueError:
        return False
    computed = await anyio.to_thread.run_sync(
        lambda: User.hash_password(password, salt, int(iterations))
    )
    return hmac.compare_digest(computed, stored)


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"Use at least {MIN_PASSWORD} characters."
    if len(password) > MAX_PASSWORD:
        return f"Use at most {MAX_PASSWORD} characters."
    return None


def user_actor(user_id: int, email: str, ip: str | None = None) -> Actor:
    return Actor(type="user", id=str(user_id), label=email, ip=ip)


# --- users and organisations ---------------------------------------------------------------


async def find_user(email: str) -> User | None:
    return await User.objects().where(User.username == normalise_email(email).lower()).first()


async def _new_login_problems(email: str, password: str) -> dict[str, str]:
    errors = {}
    if problem := email_problem(email):
        errors["email"] = problem
    elif await find_user(email):
        errors["email"] = "An account with this email already exists. Log in instead."
    if problem := password_problem(password):
        errors["password"] = problem
    return errors


async def create_user(*, email: str, password: str, name: str = "", staff: bool = False) -> User:
    """A login. `staff` users may also sign in to Piccolo Admin at /admin."""
    if errors := await _new_login_problems(email, password):
        raise InvalidInput(errors)
    address = normalise_email(email).lower()
    first, _, last = name.strip().partition(" ")
    user = User(
        username=address,
        email=address,
        password=await hash_password(password),
        first_name=first[:100] or None,
        last_name=last[:100] or None,
        active=True,
        admin=staff,
    )
    await user.save()
    return user


def _organisation_name_problem(name: str) -> str | None:
    if not name.strip():
        return "Give your organisation a name."
    if len(name.strip()) > MAX_NAME:
        return f"Use at most {MAX_NAME} characters."
    return None


async def signup(
    *, organisation_name: str, email: str, password: str, name: str = "", ip: str | None = None
) -> tuple[User, Organisation]:
    """A new organisation and its owner, created together or not at all."""
    errors = await _new_login_problems(email, password)
    if problem := _organisation_name_problem(organisation_name):
        errors["organisation_name"] = problem
    if errors:
        raise InvalidInput(errors)
    async with transaction():
        user = await create_user(email=email, password=password, name=name)
        organisation = Organisation(name=organisation_name.strip())
        await organisation.save()
        await Membership(user=user.id, organisation=organisation.id, role=Role.owner).save()
        actor = user_actor(user.id, user.email, ip)
        await audit.record(
            actor,
            organisation_id=organisation.id,
            action="organisation.created",
            entity_type="organisation",
            entity_id=organisation.id,
            changes={"name": organisation.name, "owner": user.email},
        )
    return user, organisation


async def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None (same cost either way)."""
    if len(password) > MAX_PASSWORD:
        # No account has a password this long, and Piccolo refuses to hash one (ValueError).
        await hash_password("x")
        return None
    user = await find_user(email) if email_problem(email) is None else None
    if user is None or not user.active:
        # Hash anyway so response time does not reveal which addresses have accounts.
        await hash_password(password or "x")
        return None
    if not await verify_password(user.password, password):
        return None
    await User.update({User.last_login: utcnow().replace(tzinfo=None)}).where(User.id == user.id)
    return user


# --- memberships and the principal --------------------------------------------------------


def _live_memberships():
    return Membership.soft_deleted_at.is_null() & Membership.organisation.soft_deleted_at.is_null()


async def organisations_of(user_id: int) -> tuple[OrganisationChoice, ...]:
    rows = (
        await Membership.select(
            Membership.organisation.id, Membership.organisation.name, Membership.role
        )
        .where((Membership.user == user_id) & _live_memberships())
        .order_by(Membership.organisation.name)
    )
    return tuple(
        OrganisationChoice(
            id=r["organisation.id"], name=r["organisation.name"], role=Role(r["role"])
        )
        for r in rows
    )


async def principal_for_user(
    user_id: int, organisation_id: int | None, ip: str | None = None
) -> Principal | None:
    """The user acting in `organisation_id` (or their first organisation), if they may."""
    user = await User.objects().where((User.id == user_id) & (User.active == True)).first()  # noqa: E712
    if user is None:
        return None
    choices = await organisations_of(user_id)
    if not choices:
        return None
    current = next((c for c in choices if c.id == organisation_id), choices[0])
    return Principal(
        organisation_id=current.id,
        organisation_name=current.name,
        role=current.role,
        actor=user_actor(user.id, user.email, ip),
        user_id=user.id,
        organisations=choices,
    )


async def system_principal(organisation_id: int, actor: Actor) -> Principal | None:
    """The organisation as background work acts for it (audited as `actor`)."""
    organisation = (
        await Organisation.objects()
        .where((Organisation.id == organisation_id) & Organisation.soft_deleted_at.is_null())
        .first()
    )
    if organisation is None:
        return None
    return Principal(
        organisation_id=organisation.id,
        organisation_name=organisation.name,
        role=Role.owner,
        actor=actor,
    )


async def team(principal: Principal) -> list[TeamMember]:
    rows = (
        await Membership.select(
            Membership.user.id,
            Membership.user.email,
            Membership.user.first_name,
            Membership.user.last_name,
            Membership.role,
            Membership.created_at,
        )
        .where((Membership.organisation == principal.organisation_id) & _live_memberships())
        .order_by(Membership.created_at)
    )
    return [
        TeamMember(
            user_id=r["user.id"],
            email=r["user.email"],
            name=" ".join(p for p in (r["user.first_name"], r["user.last_name"]) if p),
            role=Role(r["role"]),
            joined_at=r["created_at"],
        )
        for r in rows
    ]


def _parse_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InvalidInput({"role": "Choose owner, admin or member."}) from None


async def add_member(
    principal: Principal, *, email: str, role: str, name: str = "", password: str = ""
) -> TeamMember:
    """Give someone access. A person without an account gets one with the password given."""
    principal.require_admin()
    new_role = _parse_role(role)
    if new_role is Role.owner and not principal.is_owner:
        raise Forbidden("Only an owner can add another owner.")
    if problem := email_problem(email):
        raise InvalidInput({"email": problem})
    async with transaction():
        user = await find_user(email)
        if user is None:
            if not password:
                raise InvalidInput(
                    {"password": "This person has no account yet: set a first password for them."}
                )
            user = await create_user(email=email, password=password, name=name)
        existing = await Membership.exists().where(
            (Membership.user == user.id)
            & (Membership.organisation == principal.organisation_id)
            & Membership.soft_deleted_at.is_null()
        )
        if existing:
            raise InvalidInput({"email": f"{user.email} is already a member."})
        membership = Membership(user=user.id, organisation=principal.organisation_id, role=new_role)
        await membership.save()
        await audit.record(
            principal.actor,
            organisation_id=principal.organisation_id,
            action="membership.created",
            entity_type="membership",
            entity_id=membership.id,
            changes={"email": user.email, "role": new_role.value},
        )
    return TeamMember(user.id, user.email, name, new_role, membership.created_at)


async def _membership(principal: Principal, user_id: int) -> Membership:
    membership = (
        await Membership.objects()
        .where(
            (Membership.user == user_id)
            & (Membership.organisation == principal.organisation_id)
            & Membership.soft_deleted_at.is_null()
        )
        .first()
    )
    if membership is None:
        raise NotFound("That person is not a member of this organisation.")
    return membership


async def _owner_count(organisation_id: int) -> int:
    return await Membership.count().where(
        (Membership.organisation == organisation_id)
        & (Membership.role == Role.owner)
        & Membership.soft_deleted_at.is_null()
    )


async def change_role(principal: Principal, *, user_id: int, role: str) -> None:
    principal.require_admin()
    new_role = _parse_role(role)
    async with transaction():
        membership = await _membership(principal, user_id)
        old_role = Role(membership.role)
        if Role.owner in (old_role, new_role) and not principal.is_owner:
            raise Forbidden("Only an owner can grant or take away the owner role.")
        demoting_an_owner = old_role is Role.owner and new_role is not Role.owner
        if demoting_an_owner and await _owner_count(principal.organisation_id) <= 1:
            raise Conflict("An organisation needs at least one owner.")
        membership.role = new_role
        await membership.save([Membership.role])
        await audit.record(
            principal.actor,
            organisation_id=principal.organisation_id,
            action="membership.role_changed",
            entity_type="membership",
            entity_id=membership.id,
            changes={"role": {"from": old_role.value, "to": new_role.value}},
        )


async def remove_member(principal: Principal, *, user_id: int) -> None:
    principal.require_admin()
    async with transaction():
        membership = await _membership(principal, user_id)
        if Role(membership.role) is Role.owner:
            if not principal.is_owner:
                raise Forbidden("Only an owner can remove an owner.")
            if await _owner_count(principal.organisation_id) <= 1:
                raise Conflict("An organisation needs at least one owner.")
        membership.soft_deleted_at = utcnow()
        await membership.save([Membership.soft_deleted_at])
        await audit.record(
            principal.actor,
            organisation_id=principal.organisation_id,
            action="membership.removed",
            entity_type="membership",
            entity_id=membership.id,
            changes={"user_id": user_id},
        )


async def organisation_by_name(name: str) -> Organisation:
    """For operators (CLI): the one live organisation with this exact name."""
    matches = await Organisation.objects().where(
        (Organisation.name == name) & Organisation.soft_deleted_at.is_null()
    )
    if len(matches) != 1:
        raise NotFound(f"Expected one organisation named {name!r}, found {len(matches)}.")
    return matches[0]
