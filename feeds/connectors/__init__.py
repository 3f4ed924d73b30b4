"""Platform connectors for the review and mention feeds (pure Python, no Django).

    from feeds.connectors import make_connector
    connector = make_connector("google", settings, credentials)
    for page in connector.list_items(cursor): ...

See base.py for the interface, errors.py for what is raised, and each platform module for
its request shapes and what its cursor means.
"""

from feeds.connectors.base import (
    CURSOR_MAX_LENGTH,
    SUPPORTED_KINDS,
    Capabilities,
    Connector,
    ExternalItem,
    OwnerReply,
    Page,
    PostedReply,
    SyncResult,
    collect,
    make_connector,
)
from feeds.connectors.errors import (
    AlreadyReplied,
    AnsweredElsewhere,
    AuthExpired,
    ConfigurationError,
    ConnectorError,
    NotFound,
    NotSupported,
    PermanentError,
    RateLimited,
    TransientError,
)
from feeds.connectors.http import HttpOptions, redact
from feeds.connectors.yelp import YELP_READ_ONLY

__all__ = [
    "CURSOR_MAX_LENGTH",
    "SUPPORTED_KINDS",
    "YELP_READ_ONLY",
    "AlreadyReplied",
    "AnsweredElsewhere",
    "AuthExpired",
    "Capabilities",
    "ConfigurationError",
    "Connector",
    "ConnectorError",
    "ExternalItem",
    "HttpOptions",
    "NotFound",
    "NotSupported",
    "OwnerReply",
    "Page",
    "PermanentError",
    "PostedReply",
    "RateLimited",
    "SyncResult",
    "TransientError",
    "collect",
    "make_connector",
    "redact",
]
