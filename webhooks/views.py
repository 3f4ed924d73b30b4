from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.views.generic.base import TemplateResponseMixin

from core.errors import DomainError
from core.permissions import Permission
from core.views import ClinicView
from webhooks.models import WebhookDelivery, WebhookEvent
from webhooks.selectors import deliveries_recent, subscriptions_list
from webhooks.services import delivery_replay, subscription_create


class WebhooksView(TemplateResponseMixin, ClinicView):
    """Outbound webhooks: the subscriptions, the latest deliveries with their status, and (for
    managers) a form to add one, whose secret is shown once in the answer."""

    template_name = "webhooks/list.html"
    write_permission = Permission.MANAGE

    def _render(self, status: int = 200, **extra):
        context = {
            "clinic": self.clinic,
            "subscriptions": subscriptions_list(),
            "deliveries": deliveries_recent(limit=50),
            "events": WebhookEvent.choices,
            "can_manage": self.access.can(Permission.MANAGE),
            "form": {},
            "errors": {},
            **extra,
        }
        return self.render_to_response(context, status=status)

    def get(self, request, *args, **kwargs):
        return self._render()

    def post(self, request, *args, **kwargs):
        form = {
            "url": request.POST.get("url", ""),
            "events": request.POST.getlist("events"),
            "description": request.POST.get("description", ""),
        }
        try:
            subscription, secret = subscription_create(**form)
        except DomainError as exc:
            errors = {name: " ".join(map(str, msgs)) for name, msgs in exc.fields.items()}
            return self._render(400, form=form, errors=errors or {"form": exc.detail})
        # Rendered, not redirected: the secret must not travel through the messages cookie.
        return self._render(201, created=subscription, secret=secret)


class WebhookDeliveryReplayView(ClinicView):
    """The log's "Send again" button."""

    write_permission = Permission.MANAGE

    def post(self, request, delivery_id: int, *args, **kwargs):
        delivery = (
            WebhookDelivery.objects.select_related("subscription").filter(pk=delivery_id).first()
        )
        if delivery is None:
            raise Http404("Not found.")
        try:
            replay = delivery_replay(delivery=delivery)
            messages.success(request, f"Delivery {delivery.pk} queued again as {replay.pk}.")
        except DomainError as exc:
            messages.error(request, exc.detail)
        return HttpResponseRedirect(f"/clinics/{self.clinic.slug}/webhooks/")
