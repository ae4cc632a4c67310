"""The web UI: server-rendered pages (Jinja2, GOV.UK Frontend, htmx as enhancement only).

How to add pages (one router module per area: patient.py, staff.py, designer.py, ...):

    from services.gateway.ui.kit import Page, api, checked_form, render, require
    router = APIRouter(include_in_schema=False)

    @router.get("/area/thing")
    async def thing(request: Request) -> Response:
        require(request, kind="staff", role="clinician")   # 302 to login / 403 otherwise
        items = await api(request, "careunit", "GET", "/v1/...")  # user's own token
        return render(request, "area/thing.html", {"items": items},
                      title=_l("Thing"))               # page title, translated

    @router.post("/area/thing")
    async def change(request: Request) -> Response:
        form = await checked_form(request)                # CSRF checked, 403 otherwise
        ...
        return see_other("/area/thing")                   # POST-redirect-GET

then add the router in ui/routes.py, strings through `_()` / `{% trans %}`, run
`scripts/i18n update`, translate in services/gateway/locale/{sv,en}, `scripts/i18n compile`."""
