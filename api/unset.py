"""`UNSET`: the default of a PATCH use case's optional keyword, distinct from an explicit None
(which clears a field), so a service can tell "not sent" from "sent as null"."""

from typing import Any

UNSET: Any = object()
