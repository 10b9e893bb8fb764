"""A relay in its own process, so a test can kill it with SIGKILL mid-batch.

Usage: python -m tests.support.relay_process DATABASE_URL SCHEMA BOOTSTRAP BATCH_SIZE
"""

import asyncio
import sys

from shared.db import create_pool
from shared.kafka import EventProducer
from shared.outbox import OutboxRelay


async def main(database_url: str, schema: str, bootstrap: str, batch_size: int) -> None:
    pool = await create_pool(database_url, schema)
    producer = EventProducer(bootstrap, client_id="relay-under-test")
    await producer.start()
    print("relay ready", flush=True)
    await OutboxRelay(pool, producer, schema, batch_size=batch_size, poll_seconds=0.2).run()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
