"""A client flooding a bridge, in its own process (as a real one would be): ``python -m tests.bridge.flood``.

    python -m tests.bridge.flood URL API_KEY COUNT   # COUNT concurrent ten-year deal requests

Prints ``{"status": count, ...}`` as JSON when every request has been answered.
"""

from __future__ import annotations

import asyncio
import collections
import json
import sys

import httpx


async def flood(url: str, key: str, count: int) -> dict[str, int]:
    async with httpx.AsyncClient(base_url=url, headers={"X-API-Key": key}, timeout=60,
                                 limits=httpx.Limits(max_connections=count + 10)) as client:
        async def one(i: int) -> str:
            try:
                response = await client.get(f"/api/mt5/account/8800100{1 + i % 6}/deals/live",
                                            params={"days": 3650 - i})
            except httpx.HTTPError as exc:
                return type(exc).__name__
            return str(response.status_code)

        return dict(collections.Counter(await asyncio.gather(*(one(i) for i in range(count)))))


if __name__ == "__main__":
    print(json.dumps(asyncio.run(flood(sys.argv[1], sys.argv[2], int(sys.argv[3])))))
