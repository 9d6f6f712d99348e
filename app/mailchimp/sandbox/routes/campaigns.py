"""`/3.0/campaigns` and `/3.0/reports/{campaign_id}`."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from app.mailchimp.sandbox.campaigns import (
    CAMPAIGN_STATUSES,
    campaign_json,
    create_campaign,
    report_json,
)
from app.mailchimp.sandbox.errors import field_error, not_found
from app.mailchimp.sandbox.identity import iso
from app.mailchimp.sandbox.routes import CurrentAccount, CurrentSandbox, api_root, json_body, shaped
from app.mailchimp.sandbox.shapes import link, page
from app.mailchimp.sandbox.state import Account, Campaign

SORT_FIELDS = ("create_time", "send_time")


def campaign_of(account: Account, campaign_id: FromPath[str]) -> Campaign:
    campaign = account.campaigns.get(campaign_id)
    if campaign is None:
        raise not_found()
    return campaign


class CampaignsController(Controller):
    path = "/campaigns"

    @get("/")
    async def list_campaigns(self, request: Request, account: CurrentAccount) -> Response:
        params = request.query_params
        status, list_id = params.get("status"), params.get("list_id")
        if status is not None and status not in CAMPAIGN_STATUSES:
            raise field_error(
                "status",
                "Data presented is not one of the accepted values: "
                + ", ".join(CAMPAIGN_STATUSES)
                + ".",
            )
        selected = [
            c
            for c in account.campaigns.values()
            if status in (None, c.status) and list_id in (None, c.list_id)
        ]
        sort_field = params.get("sort_field")
        if sort_field is not None:
            if sort_field not in SORT_FIELDS:
                raise field_error(
                    "sort_field",
                    "Data presented is not one of the accepted values: create_time, send_time.",
                )
            selected.sort(
                key=lambda c: iso(getattr(c, sort_field)),
                reverse=params.get("sort_dir", "ASC").upper() == "DESC",
            )
        api = api_root(request)
        return shaped(
            request,
            {
                "campaigns": [campaign_json(account, c, api) for c in page(selected, params)],
                "total_items": len(selected),
                "_links": [
                    link("self", f"{api}/campaigns"),
                    link("create", f"{api}/campaigns", "POST"),
                ],
            },
        )

    @post("/", status_code=200)
    async def create(
        self, request: Request, account: CurrentAccount, sandbox: CurrentSandbox
    ) -> Response:
        campaign = create_campaign(account, await json_body(request), now=sandbox.state.now())
        return shaped(request, campaign_json(account, campaign, api_root(request)))

    @get("/{campaign_id:str}")
    async def get_campaign(
        self, request: Request, account: CurrentAccount, campaign_id: FromPath[str]
    ) -> Response:
        campaign = campaign_of(account, campaign_id)
        return shaped(request, campaign_json(account, campaign, api_root(request)))


@get("/reports/{campaign_id:str}")
async def get_report(
    request: Request, account: CurrentAccount, campaign_id: FromPath[str]
) -> Response:
    campaign = campaign_of(account, campaign_id)
    if campaign.status not in ("sent", "sending"):
        raise not_found()  # a draft has no report yet
    return shaped(request, report_json(account, campaign, api_root(request)))
