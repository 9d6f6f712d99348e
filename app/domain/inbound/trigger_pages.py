"""Settings → Triggers: the product-event hook (URL, secret shown once) and the trigger rules."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from app.domain.accounts.principal import Principal
from app.domain.connections import audiences
from app.domain.inbound import product_hooks, triggers
from app.domain.inbound.tables import TriggerAction
from app.domain.inbound.triggers import TriggerInput
from app.lib.errors import InvalidInput, ListbridgeError
from app.lib.forms import Form, read_form
from app.lib.templating import render

PAGE = "/settings/triggers"


def fields_from_text(text: str) -> tuple[dict[str, str], str | None]:
    """ "first_name = data.first_name" lines → {"first_name": "data.first_name"}."""
    fields: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        target, equals, path = line.partition("=")
        if not equals or not target.strip() or not path.strip():
            return {}, f"Line {number}: write it as “first_name = data.first_name”."
        fields[target.strip()] = path.strip()
    return fields, None


def fields_to_text(fields: dict[str, str]) -> str:
    return "\n".join(f"{target} = {path}" for target, path in fields.items())


def _input(form: Form) -> tuple[TriggerInput, dict[str, str]]:
    fields, problem = fields_from_text(form.data.get("fields", "") or "")
    data = TriggerInput(
        event_name=form.get("event_name"),
        action=form.get("action"),
        list_id=form.get("list_id"),
        tags=[t for t in form.get("tags").split(",") if t.strip()],
        email_path=form.get("email_path"),
        event_path=form.get("event_path"),
        event_id_path=form.get("event_id_path"),
        fields=fields,
        enabled=form.get("enabled") == "on",
    )
    return data, {"fields": problem} if problem else {}


def _values(rule: triggers.RuleView | None) -> dict[str, Any]:
    if rule is None:
        return {
            "action": TriggerAction.tag.value,
            "email_path": triggers.DEFAULT_EMAIL_PATH,
            "event_path": triggers.DEFAULT_EVENT_PATH,
            "enabled": True,
        }
    return {
        "event_name": rule.event_name,
        "action": rule.action,
        "list_id": rule.list_id,
        "tags": ", ".join(rule.tags),
        "email_path": rule.email_path,
        "event_path": rule.event_path,
        "event_id_path": rule.event_id_path,
        "fields": fields_to_text(rule.fields),
        "enabled": rule.enabled,
    }


async def _audience_choices(principal: Principal) -> tuple[list[tuple[str, str]], str]:
    try:
        found = await audiences.audiences(principal)
    except ListbridgeError as exc:
        return [], exc.detail
    return [(a.id, a.name) for a in found], ""


async def _page(
    request: Request,
    principal: Principal,
    *,
    status_code: int = 200,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    revealed: str = "",
) -> Template:
    choices, problem = await _audience_choices(principal)
    return render(
        request,
        "settings/triggers.html",
        status_code=status_code,
        hook=await product_hooks.hook(principal),
        revealed=revealed,
        rules=await triggers.rules(principal),
        values=values or _values(None),
        errors=errors or {},
        audiences=choices,
        audience_problem=problem,
        **_form_context(),
    )


def _form_context() -> dict[str, Any]:
    return {
        "actions": [(a.value, label) for a, label in triggers.ACTION_LABELS.items()],
        "field_choices": triggers.FIELD_CHOICES,
    }


async def _edit_page(
    request: Request,
    principal: Principal,
    rule: triggers.RuleView,
    *,
    status_code: int = 200,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Template:
    choices, problem = await _audience_choices(principal)
    return render(
        request,
        "settings/trigger_edit.html",
        status_code=status_code,
        rule=rule,
        values=values or _values(rule),
        errors=errors or {},
        audiences=choices,
        audience_problem=problem,
        **_form_context(),
    )


class TriggerController(Controller):
    path = PAGE

    @get("/", name="settings.triggers")
    async def index(self, request: Request, principal: Principal) -> Template:
        return await _page(request, principal)

    @post("/hook", name="settings.triggers.hook")
    async def hook(self, request: Request, principal: Principal) -> Template:
        """Create the hook, or give it a new secret: shown once, on this answer only."""
        _, plaintext = await product_hooks.create_or_regenerate(principal)
        return await _page(request, principal, revealed=plaintext)

    @post("/", name="settings.triggers.create")
    async def create(self, request: Request, principal: Principal) -> Template | Redirect:
        principal.require_admin()
        form = await read_form(request)
        data, problems = _input(form)
        try:
            if problems:
                raise InvalidInput(problems)
            rule = await triggers.create(principal, data)
        except InvalidInput as exc:
            values = {**form.values(), "enabled": data.enabled}
            return await _page(
                request, principal, status_code=400, values=values, errors=exc.errors
            )
        flash(request, f"Rule added: “{rule.event_name}” → {rule.action_label.lower()}.", "success")
        return Redirect(PAGE)

    @get("/{rule_id:int}/edit", name="settings.triggers.edit")
    async def edit(self, request: Request, principal: Principal, rule_id: int) -> Template:
        return await _edit_page(request, principal, await triggers.rule(principal, rule_id))

    @post("/{rule_id:int}", name="settings.triggers.update")
    async def update(
        self, request: Request, principal: Principal, rule_id: int
    ) -> Template | Redirect:
        current = await triggers.rule(principal, rule_id)
        form = await read_form(request)
        data, problems = _input(form)
        try:
            if problems:
                raise InvalidInput(problems)
            rule = await triggers.update(principal, rule_id, data)
        except InvalidInput as exc:
            values = {**form.values(), "enabled": data.enabled}
            return await _edit_page(
                request, principal, current, status_code=400, values=values, errors=exc.errors
            )
        flash(request, f"Rule “{rule.event_name}” saved.", "success")
        return Redirect(PAGE)

    @post("/{rule_id:int}/delete", name="settings.triggers.delete")
    async def delete(self, request: Request, principal: Principal, rule_id: int) -> Redirect:
        rule = await triggers.delete(principal, rule_id)
        flash(request, f"Rule “{rule.event_name}” deleted.", "success")
        return Redirect(PAGE)
