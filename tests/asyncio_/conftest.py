"""The fault-injection fixtures (a ``FaultProxy`` in front of the real Ceph RGW, settings
through it, a direct store, a fresh bucket) for the async facade's failure tests."""

from tests.faults.conftest import direct, fault_bucket, proxied_config, proxy

__all__ = ["direct", "fault_bucket", "proxied_config", "proxy"]
