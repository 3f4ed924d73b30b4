"""Writes for replies, statements, facts and publishing. Every public function is keyword-only
and takes the caller's `ClinicAccess` (the one authorization object) where a person acts."""
