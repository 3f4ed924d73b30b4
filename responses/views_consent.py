"""The reply editor's "Record consent" form (its "Private follow-up" card): record or withdraw
the person's consent to be contacted. A refused submission answers with the editor itself
(400 or the error's status), the message at the form and each field's next to it, the page
landing on the form (its action ends with #consent) with the first wrong field focused."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseRedirect

from core.errors import DomainError
from core.http import int_param
from responses.services.private import contact_consent_record, contact_consent_revoke
from responses.views import ReplyEditorView

# the form's fields, in the order the page shows them (the first wrong one takes the focus)
CONSENT_FIELDS = ("channel", "address", "basis")


class ContactConsentView(ReplyEditorView):
    """POST from the reply editor: record (or withdraw) the person's consent to be contacted."""

    def get(self, request, review_id: int, *args, **kwargs):
        # the address a refused submission leaves in the browser: reloading it shows the editor
        return HttpResponseRedirect(f"/clinics/{self.clinic.slug}/replies/review/{review_id}/")

    def post(self, request, review_id: int, *args, **kwargs):
        review = self._review(review_id)
        back = f"/clinics/{self.clinic.slug}/replies/review/{review_id}/#consent"
        revoke = int_param(request.POST, "revoke")  # a typo must not record a consent instead
        try:
            if revoke:
                contact_consent_revoke(consent_id=revoke, access=self.access)
                messages.success(request, "Consent withdrawn.")
            else:
                contact_consent_record(
                    review_id=review_id,
                    access=self.access,
                    channel=request.POST.get("channel", ""),
                    address=request.POST.get("address", ""),
                    basis=request.POST.get("basis", ""),
                )
                messages.success(request, "Consent recorded.")
        except DomainError as exc:
            fields = {
                name: [str(m) for m in (errors if isinstance(errors, list | tuple) else [errors])]
                for name, errors in (exc.fields or {}).items()
            }
            known = {name: fields.pop(name) for name in CONSENT_FIELDS if name in fields}
            # what no field of the form shows goes with the form's own message
            others = [m for errors in fields.values() for m in errors]
            context = self._context(review)
            context["consent_error"] = {
                "detail": " ".join([str(exc.detail), *others]),
                "fields": known,
                "first": next(iter(known), ""),
                "revoke": bool(revoke),
                "typed": {} if revoke else {n: request.POST.get(n, "") for n in CONSENT_FIELDS},
            }
            return self.render_to_response(context, status=exc.status_code)
        return HttpResponseRedirect(back)
