"""Keeps torch out of the web process: the model runs in `ml` workers only. spaCy (used by the
reply guard) imports torch through thinc when it is installed; with this finder installed that
import fails as "not installed", thinc runs without it, and any other attempt fails loudly."""

from __future__ import annotations

import importlib.abc
import sys


class _NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname == "torch" or fullname.startswith("torch."):
            raise ModuleNotFoundError(
                "torch is not loaded in the web process (the model runs in ml workers)",
                name=fullname,
            )
        return


def install() -> None:
    if "torch" not in sys.modules and not any(isinstance(f, _NoTorch) for f in sys.meta_path):
        sys.meta_path.insert(0, _NoTorch())
