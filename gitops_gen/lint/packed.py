"""The compact forms the cross-resource index keeps resources in: no object per resource.

A `Store` holds each indexed resource as one record: its repeated values (apiVersion, kind,
namespace, fact names, anchors; file) as numbers into a table of distinct values, the rest
(name, document, facts, positions, ignores) marshalled. A `Lookup` finds records by
a key through the keys' hashes, sorted in an array. Both are plain data a worker process sends
to the parent whole. `Facts` and `Positions` are the read-only views of a record's facts and
anchor positions that a resource read back from a store carries.
"""

from __future__ import annotations

import bisect
import itertools
import marshal
import struct
from array import array
from collections.abc import Mapping
from operator import itemgetter
from typing import Any, Iterable, Iterator

from gitops_gen.lint.k8s import is_custom_resource
from gitops_gen.lint.model import Path

Record = tuple
"""A resource as plain data: (apiVersion, kind, namespace, fact names, anchors, file, name,
document, base, fact values, places, ignores, placement, body). A resource no cross-resource
rule reads a fact of has None for its fact names, anchors, file and all after its name."""
(API_VERSION, KIND, NAMESPACE, FACT_NAMES, ANCHORS, FILE, NAME, DOCUMENT, BASE, FACT_VALUES,
 PLACES, IGNORES, PLACEMENT, BODY) = range(14)
_SORT = slice(API_VERSION, FILE)
"""The fields that make a record's sort: the same for many records, kept once in the table."""


def name_only(facts: dict, placement: Any, api_version: str) -> bool:
    """Whether cross-resource rules need no more of a resource than its kind, namespace and name
    (a plain file's built-in object without facts, e.g. a ConfigMap)."""
    return not facts and placement is None and not is_custom_resource(api_version)


class Store:
    """Records, in the order added, numbered from 0.

    A record costs its marshalled bytes (a Deployment's about 150) and 16 bytes of numbers:
    its sort (apiVersion, kind, namespace, fact names, anchors) and its file are numbers into
    a table of distinct values, its bytes are in a block (one per store extended from, never
    copied or grown: one growing buffer of every record left the heap fragmented). A rendered
    object's record (its placement, its body), or one marshal cannot write, is kept as it is.
    """

    __slots__ = ("_blocks", "_block_of", "_ends", "_shared", "_table", "_numbers", "_objects")

    def __init__(self) -> None:
        self._blocks: list[bytes | bytearray] = []
        """The records' bytes: the stores extended from, and a last one `add` writes to."""
        self._block_of = array("I")
        self._ends = array("I")
        """Each record's block, and where its bytes end there (they start where the previous
        record's end, or at 0)."""
        self._shared = array("I")
        """Two numbers into `_table` per record: its sort, its file."""
        self._table: list[Any] = []
        self._numbers: dict[Any, int] = {}
        self._objects: dict[int, tuple] = {}
        """The records kept as they are, from the name on, by number."""

    def __len__(self) -> int:
        return len(self._ends)

    def add(self, record: Record) -> int:
        """Keep `record`; its number."""
        number = len(self._ends)
        sort, file = self._numbers.get(record[_SORT]), self._numbers.get(record[FILE])
        self._shared.extend((self._number(record[_SORT]) if sort is None else sort,
                             self._number(record[FILE]) if file is None else file))
        blocks = self._blocks
        if not blocks or not isinstance(blocks[-1], bytearray):
            blocks.append(bytearray())
        block = blocks[-1]
        try:
            if record[PLACEMENT] is not None or record[BODY] is not None:
                raise ValueError("a rendered object")
            block += marshal.dumps(
                record[NAME] if record[FACT_NAMES] is None else record[NAME:], _VERSION)
        except ValueError:  # kept as it is: rendered, or not plain data
            self._objects[number] = record[NAME:]
        self._block_of.append(len(blocks) - 1)
        self._ends.append(len(block))
        return number

    def __getitem__(self, number: int) -> Record:
        """The record numbered `number`; IndexError past the last."""
        return next(self.records((number,)))[:-1]

    def records(self, numbers: Iterable[int]) -> Iterator[Record]:
        """The records numbered `numbers`, read in turn, each followed by its number."""
        shared, table, objects = self._shared, self._table, self._objects
        blocks, block_of, ends = self._blocks, self._block_of, self._ends
        for number in numbers:
            head = table[shared[2 * number]] + (table[shared[2 * number + 1]],)
            if objects and number in objects:
                yield head + objects[number] + (number,)
                continue
            block = block_of[number]
            start = ends[number - 1] if number and block_of[number - 1] == block else 0
            rest = _loads(blocks[block][start:ends[number]])
            if head[FACT_NAMES] is None:
                yield head + (rest,) + NAME_ONLY_REST + (number,)
            else:
                yield head + rest + (number,)

    def _number(self, value: Any) -> int:
        number = self._numbers.get(value)
        if number is None:
            number = self._numbers[value] = len(self._table)
            self._table.append(value)
        return number

    def packed(self) -> tuple:
        """The records as plain data, cheap to send to another process (`extend` takes it)."""
        offsets, size = [], 0
        for block in self._blocks:
            offsets.append(size)
            size += len(block)
        ends = array("I", (offsets[block] + end for block, end in zip(self._block_of, self._ends)))
        return b"".join(self._blocks), ends, self._shared, self._table, self._objects

    def extend(self, packed: tuple) -> int:
        """Add the records of another store's `packed()`, in order; the number of the first."""
        data, ends, shared, table, objects = packed
        first = len(self._ends)
        numbers = [self._number(value) for value in table]
        self._shared.extend(numbers[n] for n in shared)
        self._blocks.append(data)
        self._block_of.extend(itertools.repeat(len(self._blocks) - 1, len(ends)))
        self._ends.extend(ends)
        self._objects.update((first + n, kept) for n, kept in objects.items())
        return first


_loads = marshal.loads
_PLACE = struct.Struct("II")
"""A (line, column) in a record's places: two of the array's unsigned ints."""
_VERSION = 2
"""marshal's format without references: a quarter quicker to read than pickle or marshal's
newer formats (2.0 against 2.8 microseconds a Deployment), for a third more bytes."""
NAME_ONLY_REST = (None,) * (BODY - NAME)
"""What a name-only record holds after its name."""


class Lookup:
    """Numbers by key, compact: the keys' hashes in a sorted array, beside the numbers (12 bytes
    a key, no object). Keys with the same hash come back together: callers check what they get.
    Numbers of one key come back in the order they were added. `add` them all, then `sort`."""

    __slots__ = ("_hashes", "_numbers")

    def __init__(self) -> None:
        self._hashes, self._numbers = array("q"), array("I")

    def add(self, key: Any, number: int) -> None:
        self._hashes.append(hash(key))
        self._numbers.append(number)

    def add_all(self, keys: list, number: int) -> None:
        """`add` each of `keys` with the same `number`."""
        self._hashes.extend(map(hash, keys))
        self._numbers.extend(itertools.repeat(number, len(keys)))

    def packed(self) -> tuple[array, array]:
        """The keys' hashes and the numbers, as plain data (`extend` takes them)."""
        return self._hashes, self._numbers

    def extend(self, packed: tuple[array, array], first: int) -> None:
        """Add another lookup's `packed()`, its numbers counted from `first`."""
        hashes, numbers = packed
        self._hashes.extend(hashes)
        self._numbers.extend(map(first.__add__, numbers))

    def sort(self) -> None:
        # by the hash's top byte first, so that only one bucket at a time is a list of ints
        hashes, numbers = self._hashes, self._numbers
        buckets = [array("I") for _ in range(256)]
        for at, hashed in enumerate(hashes):
            buckets[(hashed >> 56) + 128].append(at)
        self._hashes, self._numbers = array("q"), array("I")
        for bucket in filter(None, buckets):  # (a small index leaves most of them empty)
            order = sorted(bucket, key=hashes.__getitem__)  # stable: numbers stay in order
            self._hashes.extend(hashes[at] for at in order)
            self._numbers.extend(numbers[at] for at in order)

    def hashes(self) -> frozenset[int]:
        """The keys' hashes: a key whose hash is not among them is not here."""
        return frozenset(self._hashes)

    def get(self, key: Any) -> array:
        hashes, wanted = self._hashes, hash(key)
        start = end = bisect.bisect_left(hashes, wanted)
        while end < len(hashes) and hashes[end] == wanted:
            end += 1
        return self._numbers[start:end]


class Facts(Mapping):
    """A resource's facts, read-only and compact: the names (one tuple shared by the objects
    of a kind) and the values."""

    __slots__ = ("names", "values_")

    def __init__(self, names: tuple[str, ...], values: tuple) -> None:
        self.names, self.values_ = names, values

    def __getitem__(self, name: str) -> Any:
        try:
            return self.values_[self.names.index(name)]
        except ValueError:
            raise KeyError(name) from None

    def get(self, name: str, default: Any = None) -> Any:
        return self.values_[self.names.index(name)] if name in self.names else default

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)


class Positions(tuple):
    """Where a resource's anchors (the (path, key) pairs cross-resource rules point at) are:
    `get((path, key))` gives (line, column). Compact: (anchors, places), the anchors shared by
    the objects of a kind, the lines and columns the bytes of an array of unsigned ints (one
    object, where a tuple of them made a record a third slower to read). A tuple: made without
    a call to Python code, as findings are placed."""

    __slots__ = ()

    anchors = property(itemgetter(0))
    places = property(itemgetter(1))

    def get(self, anchor: tuple[Path, bool], default: Any = None) -> tuple[int, int] | None:
        anchors, places = self
        try:
            at = anchors.index(anchor)
        except ValueError:
            return default
        return _PLACE.unpack_from(places, _PLACE.size * at)

    def __contains__(self, anchor: object) -> bool:
        return anchor in self[0]
