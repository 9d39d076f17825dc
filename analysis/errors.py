"""The one exception the analysis raises for unusable input.

It carries a machine-readable ``code`` and named ``params`` only; the caller turns them into a
sentence (the Indonesian wording lives in ``content/texts/analysis.yaml`` under ``errors.<code>``).
"""

from __future__ import annotations


class AnalysisError(ValueError):
    """Input the analysis cannot use, e.g. fewer than three complete pairs."""

    def __init__(self, code: str, **params: object):
        self.code = code
        self.params = params
        detail = ", ".join(f"{k}={v!r}" for k, v in sorted(params.items()))
        super().__init__(f"{code}({detail})" if detail else code)
