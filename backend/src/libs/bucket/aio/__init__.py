"""asyncio: ``AsyncBucket`` (``bucket``), its executor and cancellation rule (``jobs``) and
its runtime declaration (``service``)."""
