"""The player's timeline stacks overlapping segments and markers in rows (the module's own
packing, run in Chromium), so no title or marker hides another."""

from __future__ import annotations

from typing import Any

import pytest

from tests.live import AsgiLiveServer

pytestmark = pytest.mark.browser

PACK = """async ([extents, maxRows]) => {
  const { packRows } = await import('/static/js/player/timeline.js');
  return packRows(extents, maxRows);
}"""


@pytest.mark.django_db(transaction=True)
def test_overlapping_entries_get_rows_and_the_rest_share_one(
    asgi_live_server: AsgiLiveServer, page: Any
) -> None:
    page.goto(f"{asgi_live_server.url}/accounts/login/")

    def pack(extents: list[list[float]], max_rows: int = 3) -> dict[str, Any]:
        result: dict[str, Any] = page.evaluate(PACK, [extents, max_rows])
        return result

    # Apart: one row. Touching (one ends where the next starts): still one row.
    assert pack([[0, 2], [5, 6], [2, 4]]) == {"rows": [0, 0, 0], "count": 1}
    # 1-6 and 3-13 overlap; 7-8 fits after the first again; given out of order.
    assert pack([[3, 13], [1, 6], [7, 8]]) == {"rows": [1, 0, 0], "count": 2}
    # Four on top of each other with three rows at most: the fourth shares the last row.
    assert pack([[1, 6]] * 4) == {"rows": [0, 1, 2, 2], "count": 3}
    assert pack([]) == {"rows": [], "count": 1}
