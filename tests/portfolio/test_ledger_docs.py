"""The example in docs/portfolio.md runs and says what it claims."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "portfolio.md"


def test_portfolio_doc_example_runs() -> None:
    block = re.search(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert block is not None
    namespace: dict[str, object] = {}
    exec(compile(block.group(1), str(DOC), "exec"), namespace)  # noqa: S102 (our own doc)
    ledger = namespace["ledger"]
    assert ledger.equity() == 100_999.0  # type: ignore[attr-defined]
    assert ledger.equity_decimal() == Decimal("100999.00")  # type: ignore[attr-defined]
    assert namespace["view"].equity() == 100_999.0  # type: ignore[attr-defined]
