"""Each review's latest score, stored (`scoring.LatestScore`), and filled in for the reviews
scored so far: one set-based statement per clinic schema (django-tenants runs it in each), in
the order `scoring.selectors` defines (newest by created_at, then by id), read off the
`score_review_latest` index."""

import django.contrib.postgres.indexes
import django.db.models.deletion
from django.db import migrations, models


def _names(column: str, keys: tuple[str, ...]) -> str:
    kept = ", ".join(f"'{key}', t->'{key}'" for key in keys)
    return (
        f"CASE WHEN jsonb_typeof({column}) = 'array' THEN (SELECT coalesce(jsonb_agg("
        f"jsonb_strip_nulls(jsonb_build_object({kept})) ORDER BY n), '[]'::jsonb) "
        f"FROM jsonb_array_elements({column}) WITH ORDINALITY AS e(t, n)) ELSE '[]'::jsonb END"
    )


# scoring.selectors.LATEST_OF_REVIEWS_SQL for every review, as it stood when this was written
BACKFILL = f"""
INSERT INTO scoring_latestscore (review_id, score_id, label, topics, flags)
SELECT DISTINCT ON (review_id) review_id, id, label, {_names("topics", ("name", "sentiment"))},
    {_names("flags", ("name",))}
FROM scoring_reviewscore
ORDER BY review_id, created_at DESC, id DESC;
ANALYZE scoring_latestscore;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("feeds", "0011_review_sort_and_search_indexes"),
        ("scoring", "0005_review_score_drop_review_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="LatestScore",
            fields=[
                (
                    "review",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="score_latest",
                        serialize=False,
                        to="feeds.review",
                    ),
                ),
                (
                    "score",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="latest_of",
                        to="scoring.reviewscore",
                    ),
                ),
                (
                    "label",
                    models.CharField(
                        choices=[
                            ("negative", "Negative"),
                            ("neutral", "Neutral"),
                            ("positive", "Positive"),
                        ],
                        max_length=8,
                    ),
                ),
                ("topics", models.JSONField(default=list)),
                ("flags", models.JSONField(default=list)),
            ],
            options={
                "indexes": [
                    django.contrib.postgres.indexes.GinIndex(
                        django.contrib.postgres.indexes.OpClass("flags", name="jsonb_path_ops"),
                        name="latest_score_flags",
                    ),
                    django.contrib.postgres.indexes.GinIndex(
                        django.contrib.postgres.indexes.OpClass("topics", name="jsonb_path_ops"),
                        name="latest_score_topics",
                    ),
                ],
            },
        ),
        migrations.RunSQL(BACKFILL, reverse_sql=migrations.RunSQL.noop),
    ]
