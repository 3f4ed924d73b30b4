"""The fact sheet page of a clinic's staff: the facts to confirm first, the confirmed ones, the
deactivated ones; add a fact; ask the clinic to confirm one draft or all of them; edit one,
confirm it, deactivate or reactivate it, and read and restore its history."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.views.generic.base import TemplateResponseMixin

from agency.forms import apply_domain_errors
from core.errors import DomainError
from core.http import int_param, version_param
from core.permissions import Permission
from core.views import ClinicView
from facts.forms import FactCreateForm, FactForm
from facts.models import FactStatus
from facts.selectors import (
    fact_get,
    fact_versions,
    facts_askable,
    facts_list,
    facts_unfilled_defaults,
)
from facts.services import (
    fact_confirm,
    fact_create,
    fact_restore,
    fact_update,
    facts_ask_clinic,
)


def _left_out_words(n: int) -> str:
    """Why "ask all" skips the unfilled default facts, as many as there are ("" when none)."""
    if not n:
        return ""
    return (
        f"{n} default fact{'s' if n != 1 else ''} {'were' if n != 1 else 'was'} left out: "
        f"{'they still read' if n != 1 else 'it still reads'} as the suggested wording; "
        "fill in the clinic's own statement first."
    )


def _asked(request, facts, told: dict, *, left_out: int = 0) -> None:
    n = len(facts)
    what = f"“{facts[0].title}”" if n == 1 else f"{n} facts"
    people = len(told)
    text = (
        f"The clinic was asked to confirm {what}; {people} "
        f"{'person was' if people == 1 else 'people were'} told."
    )
    messages.success(request, f"{text} {_left_out_words(left_out)}".strip())


class FactSheetView(TemplateResponseMixin, ClinicView):
    template_name = "facts/fact_sheet.html"
    portal_path = "portal/facts/"
    write_permission = Permission.MANAGE

    def _render(self, status: int = 200, create: FactCreateForm | None = None):
        facts = list(facts_list().order_by("title"))
        can_manage = self.access.can(Permission.MANAGE)
        askable = {f.pk for f in facts_askable()} if can_manage else set()
        for fact in facts:
            fact.askable = fact.pk in askable
        unfilled = facts_unfilled_defaults().count() if can_manage else 0
        return self.render_to_response(
            {
                "clinic": self.clinic,
                "unfilled": unfilled,
                "to_confirm": [f for f in facts if f.is_active and f.status == FactStatus.DRAFT],
                "confirmed": [f for f in facts if f.is_citable],
                "inactive": [f for f in facts if not f.is_active],
                "askable": len(askable),
                "create": create or FactCreateForm(),
                "can_manage": can_manage,
            },
            status=status,
        )

    def get(self, request, *args, **kwargs):
        return self._render()

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        if action in ("ask", "ask_all"):
            left_out = 0
            if action == "ask":
                ids = [i for i in [int_param(request.POST, "fact_id")] if i is not None]
            else:
                ids = list(facts_askable().values_list("pk", flat=True))
                left_out = facts_unfilled_defaults().count()
            try:
                facts, told = facts_ask_clinic(fact_ids=ids, access=self.access)
            except DomainError as exc:
                messages.error(request, f"{exc.text()} {_left_out_words(left_out)}".strip())
                return self._render(exc.status_code)
            _asked(request, facts, told, left_out=left_out)
            return HttpResponseRedirect(request.path)
        form = FactCreateForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            confirm = data.pop("confirm")
            try:
                fact = fact_create(
                    access=self.access,
                    status=FactStatus.CONFIRMED if confirm else FactStatus.DRAFT,
                    **data,
                )
            except DomainError as exc:
                apply_domain_errors(form, exc)
            else:
                state = "confirmed" if confirm else "saved as a draft to be confirmed"
                messages.success(request, f"Fact “{fact.title}” added and {state}.")
                return HttpResponseRedirect(request.path)
        return self._render(400, create=form)


# the actions that change the fact: each form of the page carries the version it shows
_EDITS = ("save", "confirm", "deactivate", "reactivate", "restore")


class FactDetailView(TemplateResponseMixin, ClinicView):
    template_name = "facts/fact_detail.html"
    portal_path = "portal/facts/"
    write_permission = Permission.MANAGE

    def _fact(self, fact_id: int):
        fact = fact_get(fact_id)
        if fact is None:
            raise Http404("Not found.")
        return fact

    def _render(self, fact, status: int = 200, form: FactForm | None = None):
        form = form or FactForm(
            initial={
                "title": fact.title,
                "statement": fact.statement,
                "source": fact.source,
                "source_url": fact.source_url,
                "topics": ", ".join(fact.topics),
            }
        )
        return self.render_to_response(
            {
                "clinic": self.clinic,
                "fact": fact,
                "form": form,
                "versions": list(fact_versions(fact.pk)),
                "can_manage": self.access.can(Permission.MANAGE),
                "askable": facts_askable().filter(pk=fact.pk).exists(),
            },
            status=status,
        )

    def get(self, request, fact_id: int, *args, **kwargs):
        return self._render(self._fact(fact_id))

    def post(self, request, fact_id: int, *args, **kwargs):
        fact = self._fact(fact_id)
        action = request.POST.get("action", "save")
        expected = (
            version_param(request.POST)
            if action in _EDITS
            else int_param(request.POST, "expected_version")
        )
        number = int_param(request.POST, "number") if action == "restore" else None
        common = {"fact_id": fact.pk, "access": self.access, "expected_version": expected}
        try:
            if action == "deactivate":
                fact_update(**common, is_active=False)
                messages.success(request, f"“{fact.title}” deactivated: it is no longer cited.")
            elif action == "reactivate":
                fact_update(**common, is_active=True)
                messages.success(request, f"“{fact.title}” is active again.")
            elif action == "ask":
                try:
                    facts, told = facts_ask_clinic(fact_ids=[fact.pk], access=self.access)
                except DomainError as exc:
                    messages.error(request, exc.text())  # with why (the field's message)
                else:
                    _asked(request, facts, told)
            elif action == "restore":
                number = number or 0
                fact_restore(**common, number=number)
                messages.success(request, f"Version {number} restored as a new version.")
            elif action in ("save", "confirm"):
                form = FactForm(request.POST)
                if not form.is_valid():
                    return self._render(fact, 400, form)
                try:
                    if action == "confirm":
                        fact_confirm(**common, **form.cleaned_data)
                        messages.success(request, f"“{form.cleaned_data['title']}” confirmed.")
                    else:
                        fact_update(**common, **form.cleaned_data)
                        messages.success(request, "Saved as a new version.")
                except DomainError as exc:
                    apply_domain_errors(form, exc)
                    return self._render(self._fact(fact_id), 400, form)
            else:
                messages.error(request, "Unknown action.")
        except DomainError as exc:
            messages.error(request, exc.detail)
        return HttpResponseRedirect(request.path)
