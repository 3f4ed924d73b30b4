"""The reply editor's "Start follow-up" forms (its "Private follow-up" card): start the private
follow-up of a review, or propose the public reply that invites the person to get in touch. A
refused submission answers with the editor itself (400 or the error's status), the message at
the form that was sent and each field's next to it, the page landing on the card (the forms'
action ends with #follow-up) with the first wrong field focused and what was typed kept, as
the consent form does (`responses.views_consent`)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseRedirect

from core.errors import DomainError
from responses.models import SENDING_CHANNELS, ConversationStatus, PrivateChannel
from responses.services.private import followup_start
from responses.views import ReplyEditorView
from responses.views_followups import due_parse, owner_id_read

# the private form's fields, in the order the page shows them (the first wrong one takes the
# focus); the public reply's form shows only the owner and the due date, and only when no
# private channel reaches the person
FOLLOWUP_FIELDS = ("channel", "text", "owner_id", "due_at", "notes")
PUBLIC_FIELDS = ("owner_id", "due_at")


class FollowUpStartView(ReplyEditorView):
    """POST from the reply editor: start a follow-up of the review (send the invitation)."""

    def get(self, request, review_id: int, *args, **kwargs):
        # the address a refused submission leaves in the browser: reloading it shows the editor
        return HttpResponseRedirect(f"/clinics/{self.clinic.slug}/replies/review/{review_id}/")

    def post(self, request, review_id: int, *args, **kwargs):
        review = self._review(review_id)
        try:
            conversation = followup_start(
                review_id=review_id,
                access=self.access,
                channel=request.POST.get("channel") or None,
                text=request.POST.get("text") or None,
                owner_id=owner_id_read(request),
                due_at=due_parse(request.POST.get("due_at", ""), self.clinic),
                notes=request.POST.get("notes", ""),
            )
        except DomainError as exc:
            return self._refused(request, review, exc)
        sent = conversation.status == ConversationStatus.INVITED
        if conversation.channel == PrivateChannel.PUBLIC_REPLY:
            messages.success(
                request,
                "Follow-up started. The public reply inviting contact is a draft: submit it "
                "for approval in the reply editor.",
            )
        elif conversation.channel in SENDING_CHANNELS:
            if sent:
                messages.success(
                    request, f"Invitation sent ({conversation.get_channel_display()})."
                )
            else:
                messages.error(
                    request, "The invitation could not be sent; the reason is in the thread."
                )
        else:
            messages.success(request, "Follow-up started.")
        return HttpResponseRedirect(f"/clinics/{self.clinic.slug}/follow-ups/{conversation.pk}/")

    def _refused(self, request, review, exc: DomainError):
        """The editor, the refusal said at the form that was sent (the card itself when
        neither form is shown any more: a follow-up opened meanwhile)."""
        context = self._context(review)
        public = request.POST.get("channel") == PrivateChannel.PUBLIC_REPLY
        if context.get("open_followup") or not context.get("can_write"):
            where, shown = "followup_card_error", ()
        elif public or not context.get("any_private"):
            where = "followup_public_error"
            shown = () if context.get("any_private") else PUBLIC_FIELDS
        else:
            where, shown = "followup_error", FOLLOWUP_FIELDS
        fields = {
            name: [str(m) for m in (errors if isinstance(errors, list | tuple) else [errors])]
            for name, errors in (exc.fields or {}).items()
            if name != "proposal"  # the public reply: its own form on the card shows it
        }
        known = {name: fields.pop(name) for name in shown if name in fields}
        # what no field of the form shows goes with the form's own message
        others = [m for errors in fields.values() for m in errors]
        context[where] = {
            "detail": " ".join([str(exc.detail), *others]),
            "fields": known,
            "first": next(iter(known), ""),
            "typed": {n: request.POST.get(n, "") for n in FOLLOWUP_FIELDS},
        }
        return self.render_to_response(context, status=exc.status_code)
