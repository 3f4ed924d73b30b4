"""The `review.updated` event (a review Carewatch holds changed on its platform: edited, taken
down, restored): the events a subscription may hold are constrained by the database, so the
constraint names it."""

import django.contrib.postgres.fields
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0003_incident_grew_event"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="webhooksubscription",
            name="webhook_subscription_known_events",
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="event",
            field=models.CharField(
                choices=[
                    ("review.created", "A review or mention arrived"),
                    ("review.updated", "A review changed on its platform (edited, taken down)"),
                    ("review.scored", "A review was scored"),
                    ("incident.opened", "An incident was opened"),
                    ("incident.grew", "An open incident grew (its people were alerted again)"),
                    ("incident.resolved", "An incident was resolved"),
                    ("reply.approved", "A reply was approved"),
                    ("reply.published", "A reply was published"),
                    ("statement.published", "A statement was published"),
                    ("privacy_request.received", "A privacy request was received"),
                    ("privacy_request.completed", "A privacy request was carried out"),
                ],
                max_length=64,
            ),
        ),
        migrations.AlterField(
            model_name="webhooksubscription",
            name="events",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(
                    choices=[
                        ("review.created", "A review or mention arrived"),
                        ("review.updated", "A review changed on its platform (edited, taken down)"),
                        ("review.scored", "A review was scored"),
                        ("incident.opened", "An incident was opened"),
                        ("incident.grew", "An open incident grew (its people were alerted again)"),
                        ("incident.resolved", "An incident was resolved"),
                        ("reply.approved", "A reply was approved"),
                        ("reply.published", "A reply was published"),
                        ("statement.published", "A statement was published"),
                        ("privacy_request.received", "A privacy request was received"),
                        ("privacy_request.completed", "A privacy request was carried out"),
                    ],
                    max_length=64,
                ),
                size=None,
            ),
        ),
        migrations.AddConstraint(
            model_name="webhooksubscription",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "events__contained_by",
                        [
                            "review.created",
                            "review.updated",
                            "review.scored",
                            "incident.opened",
                            "incident.grew",
                            "incident.resolved",
                            "reply.approved",
                            "reply.published",
                            "statement.published",
                            "privacy_request.received",
                            "privacy_request.completed",
                        ],
                    )
                ),
                name="webhook_subscription_known_events",
            ),
        ),
    ]
