"""Routes of this app inside a clinic (mounted under /clinics/<slug>/ by config.urls_tenant).
`api_patterns` go under api/v1/, `page_patterns` at the clinic root. `public_patterns` are
mounted at the site root (no sign-in): the public statement pages; `staff_patterns` under
/agency/ (the agency's approvals log across its clinics); `agency_api_patterns` under the
agency-wide /api/v1/ (the same log in the API)."""

from django.urls import path

from responses.apis import (
    agency_approvals_log,
    approvals_log,
    batches,
    followups,
    library,
    outbox,
    replies,
    statements,
)
from responses.views import (
    ApprovalActionView,
    OutboxView,
    PublicStatementsBrandCssView,
    PublicStatementsView,
    ReplyEditorView,
    ReplyQueueView,
    StatementEditorView,
    StatementListView,
)
from responses.views_agency_approvals_log import AgencyApprovalsLogView
from responses.views_approvals_log import ApprovalsLogView
from responses.views_batches import BatchCreateView, BatchFixView, BatchView
from responses.views_consent import ContactConsentView
from responses.views_followup_start import FollowUpStartView
from responses.views_followups import FollowUpDetailView, FollowUpListView

api_patterns: list = [
    path("compliance/check/", library.ComplianceCheckApi.as_view(), name="compliance-check"),
    path("compliance/fix/", library.ComplianceFixApi.as_view(), name="compliance-fix"),
    path("reply-templates/", library.TemplateListApi.as_view(), name="reply-template-list"),
    path(
        "reply-templates/<int:template_id>/",
        library.TemplateDetailApi.as_view(),
        name="reply-template-detail",
    ),
    path("reply-settings/", library.ResponseSettingsApi.as_view(), name="reply-settings"),
    path("audit/", library.AuditListApi.as_view(), name="audit-list"),
    path("approvals-log/", approvals_log.ApprovalsLogListApi.as_view(), name="approvals-log-list"),
    path(
        "reviews/<int:review_id>/suggestion/",
        library.ReviewSuggestionApi.as_view(),
        name="review-suggestion",
    ),
    path(
        "reviews/<int:review_id>/private-conversations/",
        followups.ReviewPrivateConversationApi.as_view(),
        name="review-private-conversations",
    ),
    path(
        "reviews/<int:review_id>/follow-up-channels/",
        followups.ReviewFollowUpChannelsApi.as_view(),
        name="review-follow-up-channels",
    ),
    path(
        "reviews/<int:review_id>/contact-consents/",
        followups.ReviewContactConsentListApi.as_view(),
        name="review-contact-consents",
    ),
    path(
        "contact-consents/<int:consent_id>/revoke/",
        followups.ContactConsentRevokeApi.as_view(),
        name="contact-consent-revoke",
    ),
    path(
        "private-conversations/",
        followups.PrivateConversationListApi.as_view(),
        name="private-conversation-list",
    ),
    path(
        "private-conversations/<int:conversation_id>/",
        followups.PrivateConversationDetailApi.as_view(),
        name="private-conversation-detail",
    ),
    path(
        "private-conversations/<int:conversation_id>/messages/",
        followups.FollowUpMessageListApi.as_view(),
        name="private-conversation-messages",
    ),
    path(
        "private-conversations/<int:conversation_id>/messages/<int:message_id>/retry/",
        followups.FollowUpMessageRetryApi.as_view(),
        name="private-conversation-message-retry",
    ),
    path(
        "private-conversations/<int:conversation_id>/notes/",
        followups.FollowUpNoteApi.as_view(),
        name="private-conversation-notes",
    ),
    path("drafts/", replies.DraftListApi.as_view(), name="draft-list"),
    path("drafts/<int:draft_id>/", replies.DraftDetailApi.as_view(), name="draft-detail"),
    path("drafts/<int:draft_id>/submit/", replies.DraftSubmitApi.as_view(), name="draft-submit"),
    path("drafts/<int:draft_id>/approve/", replies.DraftApproveApi.as_view(), name="draft-approve"),
    path("drafts/<int:draft_id>/reject/", replies.DraftRejectApi.as_view(), name="draft-reject"),
    path(
        "drafts/<int:draft_id>/override/",
        replies.DraftOverrideApi.as_view(),
        name="draft-override",
    ),
    path("drafts/<int:draft_id>/remind/", replies.DraftRemindApi.as_view(), name="draft-remind"),
    path(
        "drafts/<int:draft_id>/take-back/",
        replies.DraftTakeBackApi.as_view(),
        name="draft-take-back",
    ),
    path("drafts/<int:draft_id>/discard/", replies.DraftDiscardApi.as_view(), name="draft-discard"),
    path("drafts/<int:draft_id>/audit/", replies.DraftAuditApi.as_view(), name="draft-audit"),
    path("statements/", statements.StatementListApi.as_view(), name="statement-list"),
    path(
        "statements/<int:statement_id>/",
        statements.StatementDetailApi.as_view(),
        name="statement-detail",
    ),
    *[
        path(
            f"statements/<int:statement_id>/{action}/",
            view.as_view(),
            name=f"statement-{action}",
        )
        for action, view in (
            ("submit", statements.StatementSubmitApi),
            ("approve", statements.StatementApproveApi),
            ("take-back", statements.StatementTakeBackApi),
            ("reject", statements.StatementRejectApi),
            ("override", statements.StatementOverrideApi),
            ("remind", statements.StatementRemindApi),
            ("discard", statements.StatementDiscardApi),
            ("publish", statements.StatementPublishApi),
            ("unpin", statements.StatementUnpinApi),
        )
    ],
    path("reply-batches/", batches.BatchListApi.as_view(), name="reply-batch-list"),
    path(
        "reply-batches/<int:batch_id>/", batches.BatchDetailApi.as_view(), name="reply-batch-detail"
    ),
    *[
        path(
            f"reply-batches/<int:batch_id>/{action}/", view.as_view(), name=f"reply-batch-{action}"
        )
        for action, view in (
            ("submit", batches.BatchSubmitApi),
            ("approve", batches.BatchApproveApi),
            ("take-back", batches.BatchTakeBackApi),
            ("reject", batches.BatchRejectApi),
            ("override", batches.BatchOverrideApi),
            ("remind", batches.BatchRemindApi),
            ("discard", batches.BatchDiscardApi),
        )
    ],
    path(
        "reply-batches/<int:batch_id>/mentions/<int:review_id>/",
        batches.BatchMentionApi.as_view(),
        name="reply-batch-mention",
    ),
    path("outbox/", outbox.OutboxListApi.as_view(), name="outbox-list"),
    path("outbox/<int:item_id>/", outbox.OutboxDetailApi.as_view(), name="outbox-detail"),
    path(
        "outbox/<int:item_id>/mark-posted/",
        outbox.OutboxMarkPostedApi.as_view(),
        name="outbox-mark-posted",
    ),
    path("outbox/<int:item_id>/retry/", outbox.OutboxRetryApi.as_view(), name="outbox-retry"),
]

page_patterns: list = [
    path("replies/", ReplyQueueView.as_view(), name="reply-queue"),
    path("replies/act/", ApprovalActionView.as_view(), name="approval-act"),
    path("replies/review/<int:review_id>/", ReplyEditorView.as_view(), name="reply-editor"),
    path(
        "replies/review/<int:review_id>/private/",
        FollowUpStartView.as_view(),
        name="reply-private",
    ),
    path(
        "replies/review/<int:review_id>/consent/",
        ContactConsentView.as_view(),
        name="reply-consent",
    ),
    path("follow-ups/", FollowUpListView.as_view(), name="follow-ups"),
    path(
        "follow-ups/<int:conversation_id>/",
        FollowUpDetailView.as_view(),
        name="follow-up",
    ),
    path("replies/batches/new/", BatchCreateView.as_view(), name="reply-batch-new"),
    path("replies/batches/<int:batch_id>/", BatchView.as_view(), name="reply-batch"),
    path("replies/batches/<int:batch_id>/fix/", BatchFixView.as_view(), name="reply-batch-fix"),
    path("statements/", StatementListView.as_view(), name="statements"),
    path("statements/<int:statement_id>/", StatementEditorView.as_view(), name="statement-editor"),
    path("outbox/", OutboxView.as_view(), name="outbox"),
    path("approvals-log/", ApprovalsLogView.as_view(), name="approvals-log"),
]

# Mounted under /agency/ by config.urls_public (namespace "agency"): the approvals log of every
# clinic of the agency.
staff_patterns: list = [
    path("approvals-log/", AgencyApprovalsLogView.as_view(), name="approvals-log"),
]

# Mounted under the agency-wide /api/v1/ by config.urls_public (namespace "api").
agency_api_patterns: list = [
    path(
        "approvals-log/",
        agency_approvals_log.AgencyApprovalsLogListApi.as_view(),
        name="agency-approvals-log-list",
    ),
]

public_patterns: list = [
    # The person's answers to private follow-ups (signed by each platform; no sign-in).
    path(
        "hooks/<slug:clinic_slug>/<int:source_id>/messenger/",
        followups.MessengerHookApi.as_view(),
        name="follow-up-hook-messenger",
    ),
    path(
        "hooks/<slug:clinic_slug>/sms/",
        followups.SmsHookApi.as_view(),
        name="follow-up-hook-sms",
    ),
    path(
        "hooks/<slug:clinic_slug>/email/",
        followups.EmailHookApi.as_view(),
        name="follow-up-hook-email",
    ),
    path(
        "statements/<slug:clinic_slug>/",
        PublicStatementsView.as_view(),
        name="public-statements",
    ),
    path(
        "statements/<slug:clinic_slug>/<int:statement_id>/",
        PublicStatementsView.as_view(),
        name="public-statement",
    ),
    path(
        "statements/<slug:clinic_slug>/brand.css",
        PublicStatementsBrandCssView.as_view(),
        name="public-statements-brand-css",
    ),
]
