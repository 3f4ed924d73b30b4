"""The documents Carewatch sends a clinic (the post-crisis review, the monthly report) as
tagged PDFs (PDF/UA-1), rendered by WeasyPrint from their HTML export, so the file and the
page cannot drift."""

from __future__ import annotations


def warm_up() -> None:
    """Import WeasyPrint and its Pango bindings now (~0.5 s of CPU). The web master calls this
    before it forks (config/gunicorn.py `when_ready`), so that a new worker's first PDF does
    not pay for it: bench/review_pdf/run.py, first review PDF in a new process."""
    import weasyprint  # noqa: F401


def html_pdf(html: str) -> bytes:
    """`html` rendered as PDF/UA-1 (a tagged structure tree). Everything a document shows is
    inside its HTML (charts and logo as data URIs): only `data:` URLs are fetched."""
    # Imported here: only a PDF needs WeasyPrint and its Pango bindings (~0.5 s to load); a
    # worker (Celery, a test) that never writes one does not pay for it. The web master
    # imports it once before forking (`warm_up`).
    import weasyprint
    from weasyprint.urls import URLFetcher

    document = weasyprint.HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=["data"]))
    return document.write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True)
