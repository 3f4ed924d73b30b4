"""The portal's colours come from `agency.branding` (also used by the post-crisis review's
export and the public statement page, which sit on lower floors)."""

from agency.branding import brand_palette, contrast

__all__ = ["brand_palette", "contrast"]
