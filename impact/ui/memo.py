"""What this process keeps from one page run to the next: `Kept`, a bounded map shared by every session's thread
(the least recently used entry dropped first), and `digest`, a key for values compared by their content.

impact.ui.data keeps its reads and built figures here, impact.ui.tables its written tables; bench/README.md says
what each saves a page run.
"""
from __future__ import annotations

import hashlib
import pickle
import threading
from collections import OrderedDict
from typing import Any, Generic, Hashable, Optional, TypeVar

Value = TypeVar("Value")


class Kept(Generic[Value]):
    """At most `size` values by key, safe to use from several threads at once."""

    def __init__(self, size: int):
        self.size = size
        self._values: OrderedDict[Hashable, Value] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Optional[Value]:
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Value) -> None:
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def __len__(self) -> int:
        return len(self._values)


def digest(*values: Any) -> Optional[bytes]:
    """The values as pickle writes them, digested: every cell of a frame with its type, its columns, index and
    dtypes, so that values that differ anywhere differ here (values equal but built differently may differ too,
    which costs a page run its kept result, never shows a wrong one); None where they cannot be pickled. A frame of
    2,000 rows takes a millisecond, a sixth of pandas' own hash of it."""
    try:
        return hashlib.blake2b(pickle.dumps(values, pickle.HIGHEST_PROTOCOL)).digest()
    except (pickle.PicklingError, TypeError, AttributeError):
        return None
