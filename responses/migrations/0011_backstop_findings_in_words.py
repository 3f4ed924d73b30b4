"""The guard's learned backstop spoke model jargon to people ("The learned backstop reads this
reply as confirming that the reviewer is a patient (p=0.72); the rules found nothing of the
kind."), and the clinic's legal person read it in the portal. Its findings now say it in plain
words and keep the probability as data (`Finding.probability`); the findings stored before
are worded the same way here, so no page shows the old words."""

import re

from django.db import migrations

OLD = re.compile(r"^The learned backstop reads this reply as .*\(p=([0-9.]+)\)")
# responses.guard.engine._BACKSTOP_MESSAGE as it was written (a migration keeps its own copy)
MESSAGE = {
    "tone": "This reply as a whole may read as defensive, argumentative or blaming, though no "
    "single phrase says so. Read it as the reviewer would, or ask legal.",
    "patient_confirmation": "This reply as a whole may read as confirming that the reviewer is "
    "a patient, though no single phrase says so. Read it as a stranger would, or ask legal.",
    "health_detail": "This reply as a whole may read as disclosing a health detail, though no "
    "single phrase says so. Read it as a stranger would, or ask legal.",
}
MODELS = ("ReplyVersion", "ReplyBatchVersion", "StatementVersion", "FollowUpMessage")


def _reworded(findings: list) -> list | None:
    changed, out = False, []
    for finding in findings or []:
        found = (
            isinstance(finding, dict)
            and finding.get("subtype") == "backstop"
            and finding.get("kind") in MESSAGE
            and OLD.match(finding.get("message") or "")
        )
        if found:
            finding = {
                **finding,
                "message": MESSAGE[finding["kind"]],
                "probability": float(found.group(1)),
            }
            changed = True
        out.append(finding)
    return out if changed else None


def reword(apps, schema_editor):
    for name in MODELS:
        model = apps.get_model("responses", name)
        rows = model.objects.filter(guard_findings__contains=[{"subtype": "backstop"}])
        for row in rows.only("pk", "guard_findings").iterator():
            findings = _reworded(row.guard_findings)
            if findings is not None:
                model.objects.filter(pk=row.pk).update(guard_findings=findings)


class Migration(migrations.Migration):
    dependencies = [
        ("responses", "0010_followup_outcome_settled"),
    ]

    operations = [
        migrations.RunPython(reword, migrations.RunPython.noop),
    ]
