"""Run as a separate process by the tests: claim keys and print the ones this process won."""

from __future__ import annotations

import asyncio
import sys

from storage import deliveries
from storage.database import Database
from storage.deliveries import Claim


async def main(url: str, owner: str, count: int) -> None:
    db = Database(url)
    won = []
    try:
        for n in range(count):
            async with db.session() as session:
                claim = Claim(key=f"race:{n}", kind="test", chat_id=1000 + n)
                if await deliveries.claim(session, claim, owner) is not None:
                    won.append(n)
    finally:
        await db.dispose()
    print(" ".join(str(n) for n in won))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
