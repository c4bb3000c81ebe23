"""Positions found in the text (yamltext, yamlkeys) against the composed nodes
(yamlcompose.locate), on documents made to trip the walk: keys that start like other keys,
quoted keys, mappings that end before a key asked for, comments and blank lines between a key
and its value, compact and indentless sequences, empty values at a document's end, CRLF. Every
path is asked in a shuffled order (the walk keeps what it found, and counts lines from the last
position it gave).
"""

import random

import pytest

from gitops_gen.lint import yamlfast, yamlkeys, yamlparse
from test_yamlparse_fast import paths

needs_yaml_rs = pytest.mark.skipif(yamlfast.yaml_rs is None or not yamlfast.FAST_PATH,
                                   reason="the fast path is off (yaml-rs missing or disabled)")

TRICKY = {
    "prefix keys": "metadata:\n  namespace: a\n  name: b\n  names: [c]\n  name2: d\n",
    "quoted keys": "a:\n  'b': 1\n  \"c\": 2\n  d e: 3\n  \"f:g\": 4\n  'it''s': 5\n",
    "first key quoted": "\"a\": 1\nb:\n  'c': 2\n",
    "key in a later mapping only": "- a: 1\n  b: 2\n- c: 3\n  'a': 4\n- d:\n    a: 5\n",
    "quoted key after the plain one elsewhere": "x:\n  'k': 1\ny:\n  k: 2\n",
    "spaces before the colon": "a   : 1\nb :\n  c  :   2\n",
    "comments and blank lines": ("a: # comment\n\n  # more\n   \n  b: 1 # c\n"
                                 "c:\n# at column 0\n  - 1\n  -   # empty item? no\n    x\n"),
    "indentless and compact": ("k:\n- a: 1\n  b:\n  - x\n  -\n    y: 2\n- - p\n  - q\n"
                               "- []\n- {}\n-\n"),
    "empty values": "a:\nb: ~\nc:\n  d:\ne: ''\nf:",
    "empty value at the end": "a: 1\nb:\n---\nc:\n",
    "flow collections": "a: {b: [1, {c: 2}]}\nd: [x, y]\ne:\n  - {f: 1}\n",
    "block scalars": ("a: |\n  text\n  b: not a key\nb: >-\n  folded\n"
                      "c:\n  d: |+\n    x\n\n  e: 1\n"),
    "multi-line plain and quoted": "a: one\n  two\nb: \"three\n  four\"\nc: 'x'\n",
    "CRLF": "a:\r\n  b: 1\r\n  c:\r\n    - d\r\n    - e: 2\r\nf: 3\r\n",
    "deep dedent": ("a:\n  b:\n    c:\n      d: 1\n    e: 2\n  f: 3\ng: 4\n"
                    "h:\n  b:\n    d: 5\n"),
    "anchors and aliases": "a: &x\n  b: 1\nc: *x\nd:\n  <<: *x\n  e: 2\n",
    "documents": "# lead\n---\na: 1\n---\n- b\n---\n...\n---\nc:\n  d: [1]\n--- e\n",
    "typed keys": "1: a\ntrue: b\nc:\n  2: d\n  e: f\n",
    "tab in a value": "a:\tb\nc: 'd\te'\n",
    "long document": "".join(f"k{i}:\n  name: v{i}\n  list:\n  - x{i}\n" for i in range(40)),
    "compact quoted first keys": "- 'a': 1\n  b: 2\n- \"c\": 3\n  'd': 4\n- e f: 5\n  e: 6\n",
    "a deeper key first": "a:\n  b:\n    c: 1\n    d:\n      c: 0\n  c: 2\n  d: 3\n",
    "indented document": "  a: 1\n  b:\n    - c\n---\n  - d\n  - e: 1\n",
    "comment first": "# c\n\n   # d\na:\n  - 1\n---\n# e\nf: 2\n",
}


@needs_yaml_rs
@pytest.mark.parametrize("text", TRICKY.values(), ids=TRICKY.keys())
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("pattern_after", [0, 10 ** 9], ids=["patterns", "finds"])
def test_text_positions_equal_the_composed_ones_in_any_order(text, seed, pattern_after,
                                                              monkeypatch):
    """Keys are looked for with a pattern made for them, or with str.find: the same answers."""
    monkeypatch.setattr(yamlkeys, "KEY_PATTERN_AFTER", pattern_after)
    monkeypatch.setattr(yamlkeys, "_KEYS", {})
    composed = yamlparse.parse_composed(text)
    questions = [(number, path, key) for number, document in enumerate(composed.documents)
                 for path in paths(document) for key in (False, True)]
    random.Random(seed).shuffle(questions)
    fast = yamlparse.parse(text)
    for number, path, key in questions:
        assert fast.locate(number, path, key) == composed.locate(number, path, key), (
            number, path, key)
        assert fast.scalar_text(number, path) == composed.scalar_text(number, path), (
            number, path)


@needs_yaml_rs
def test_positions_asked_document_by_document_twice_equal_the_composed_ones():
    """The engine asks for a file's positions document by document (its findings), then again
    from the first document (the index's anchors): each document counts lines from its own
    last position."""
    text = "".join(f"---\nkind: K{i}\nspec:\n  a:\n    - b: {i}\n      c: {i}\n  d: {i}\n"
                   for i in range(6))
    composed = yamlparse.parse_composed(text)
    fast = yamlparse.parse(text)
    assert fast._source is not None
    for _ in range(2):
        for number, document in enumerate(composed.documents):
            for path in reversed(list(paths(document))):
                for key in (True, False):
                    assert fast.locate(number, path, key) == composed.locate(number, path, key)


@needs_yaml_rs
def test_tricky_documents_mostly_take_the_fast_path():
    """The comparison above is about the text walk: most of the documents must take it."""
    fast = [name for name, text in TRICKY.items() if yamlparse.parse(text)._source is not None]
    assert len(fast) >= len(TRICKY) - 6, sorted(set(TRICKY) - set(fast))
