from django.db import models
from django.dispatch import Signal

# Sent by `HeardQuerySet.update()` (and so by `bulk_update()`, which calls it) with
# `pks`, the ids of the rows it changes: once before the change, once after. A queryset's
# update sends no `post_save`; whoever keeps a copy of these rows (the clinic routes in
# Redis, `clinics.routes`) hears it here instead.
rows_updating = Signal()
rows_updated = Signal()


class BaseModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class HeardQuerySet(models.QuerySet):
    """A queryset whose `update()` and `bulk_update()` are heard like a save: `rows_updating`
    before the change, `rows_updated` after it, each with the ids of the rows changed.
    Without a receiver for the model it is a plain `update()` (no extra query)."""

    def update(self, **kwargs):
        if not (rows_updating.has_listeners(self.model) or rows_updated.has_listeners(self.model)):
            return super().update(**kwargs)
        pks = list(self.values_list("pk", flat=True))
        rows_updating.send(sender=self.model, pks=pks)
        changed = super().update(**kwargs)
        rows_updated.send(sender=self.model, pks=pks)
        return changed

    update.alters_data = True
