from django.urls import path

from inbox.apis import ClaimDetailApi, ClaimListApi, ReviewDetailApi, ReviewListApi
from inbox.views import InboxView, ReviewDetailView

api_patterns = [
    path("reviews/", ReviewListApi.as_view(), name="review-list"),
    path("reviews/<int:review_id>/", ReviewDetailApi.as_view(), name="review-detail"),
    path("claims/", ClaimListApi.as_view(), name="claim-list"),
    path("claims/<int:claim_id>/", ClaimDetailApi.as_view(), name="claim-detail"),
]
page_patterns = [
    path("inbox/", InboxView.as_view(), name="inbox"),
    path("inbox/<int:review_id>/", ReviewDetailView.as_view(), name="inbox-review"),
]
