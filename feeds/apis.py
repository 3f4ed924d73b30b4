from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from core.api import ClinicAPIView, paginated_response
from feeds.models import Review, ReviewRevision
from feeds.selectors import reviews_list


class ReviewOutputSerializer(serializers.ModelSerializer):
    source = serializers.CharField(source="source.kind", read_only=True)
    source_name = serializers.CharField(source="source.name", read_only=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "source",
            "source_name",
            "external_id",
            "kind",
            "author_name",
            "rating",
            "text",
            "language",
            "url",
            "published_at",
            "edited_at",
            "likes",
            "shares",
            "replies",
            "parent_id",
            "status",
            "created_at",
            "updated_at",
        ]


class RevisionOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReviewRevision
        fields = ["kind", "text", "rating", "edited_at", "captured_at"]


class ReviewDetailSerializer(ReviewOutputSerializer):
    revisions = RevisionOutputSerializer(many=True, read_only=True)

    class Meta(ReviewOutputSerializer.Meta):
        fields = [*ReviewOutputSerializer.Meta.fields, "is_deleted", "revisions"]


class ReviewListApi(ClinicAPIView):
    """Reviews and mentions of this clinic, newest first."""

    @extend_schema(responses=ReviewOutputSerializer(many=True))
    def get(self, request):
        return paginated_response(self, reviews_list(), ReviewOutputSerializer)


class ReviewDetailApi(ClinicAPIView):
    @extend_schema(responses=ReviewDetailSerializer)
    def get(self, request, review_id: int):
        review = (
            Review.objects.select_related("source")
            .prefetch_related("revisions")
            .filter(pk=review_id)
            .first()
        )
        if review is None:
            raise NotFound()
        return Response(ReviewDetailSerializer(review).data)
