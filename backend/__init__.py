"""The backend package: shared libraries for Python services (``backend.src.libs``)."""
