"""The fast YAML path (yaml-rs for the data, the text for positions) against the composed path
(libyaml's node graph), which is the reference: every document, problem, position
(`locate`, with and without `key`) and written scalar (`scalar_text`) must be the same, for the
benchmark corpus, the rule fixtures, generated YAML in many styles, mutated manifests, and each
construct that sends a file to the composed path.
"""

import json
import math
import pathlib
import random
import subprocess
import sys

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitops_gen.lint import yamlfast, yamlnorm, yamlparse, yamltext
from gitops_gen.lint.yamlnorm import MAX_DEPTH

REPO = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "rules" / "fixtures"

needs_yaml_rs = pytest.mark.skipif(yamlfast.yaml_rs is None or not yamlfast.FAST_PATH,
                                   reason="the fast path is off (yaml-rs missing or disabled)")


# -- comparing the two paths


def same(a, b) -> bool:
    """Equal with the same types all the way down (True is not 1), keys in the same order."""
    if a.__class__ is not b.__class__:
        return False
    if isinstance(a, dict):
        return (len(a) == len(b) and all(ka.__class__ is kb.__class__ and ka == kb
                                         for ka, kb in zip(a, b))
                and all(same(a[k], b[k]) for k in a))
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def paths(value, prefix=()):
    """Every path in `value`, and paths just beside it: missing keys, out-of-range or
    wrongly-typed indices, and paths below scalars."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, prefix + (key,))
        yield prefix + ("no such key",)
        yield prefix + (0,)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths(child, prefix + (index,))
        yield prefix + (len(value),)
        yield prefix + (-1,)
        yield prefix + ("0",)
    else:
        yield prefix + ("below",)
        yield prefix + (0,)


def check(text: str, *, cold: bool = False) -> yamlparse.ParsedYaml:
    """Assert that both paths read `text` alike; return the fast path's result. `cold` asks
    every question of a freshly parsed stream (no cached walk)."""
    fast = yamlparse.parse(text)
    slow = yamlparse.parse_composed(text)
    assert slow._source is None
    assert same(fast.documents, slow.documents), (fast.documents, slow.documents)
    assert fast.problems == slow.problems
    for number, document in enumerate(slow.documents):
        for path in paths(document):
            asked = yamlparse.parse(text) if cold else fast
            for key in (False, True):
                assert asked.locate(number, path, key) == slow.locate(number, path, key), (
                    number, path, key)
            assert asked.scalar_text(number, path) == slow.scalar_text(number, path), (
                number, path)
    return fast


def fast_path(parsed: yamlparse.ParsedYaml) -> bool:
    return parsed._source is not None


# -- the benchmark corpus and the rule fixtures


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, shared) -> list[pathlib.Path]:
    made = REPO / "bench" / "out" / "corpus-5000"
    if not made.is_dir():
        made = tmp_path_factory.mktemp("corpus")
        subprocess.run([sys.executable, str(shared / "bench" / "make_corpus.py"), str(made),
                        "2000"], check=True, capture_output=True)
    files = sorted(made.glob("*.yaml"))
    assert files
    return files


@needs_yaml_rs
def test_corpus_reads_and_locates_the_same(corpus):
    fell_back = [path.name for path in corpus if not fast_path(check(path.read_text()))]
    assert not fell_back  # the corpus is plain block YAML: all of it takes the fast path


def _fixture_manifests():
    for path in sorted(FIXTURES.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text())["cases"]:
            texts = [case["manifest"]] if "manifest" in case else list(case["files"].values())
            for number, text in enumerate(texts):
                yield pytest.param(text, id=f"{path.stem}-{case['name']}-{number}")


@needs_yaml_rs
@pytest.mark.parametrize("manifest", list(_fixture_manifests()))
def test_fixture_manifest_reads_and_locates_the_same(manifest):
    check(manifest)


@needs_yaml_rs
def test_examples_read_and_locate_the_same():
    for path in sorted((REPO / "examples").rglob("*.y*ml")):
        assert fast_path(check(path.read_text())), path


# -- generated YAML

AWKWARD = ["", " ", "a: b", "a #b", "#x", "- x", "? x", "x,y", "[x]", "{x}", "|", ">", "%x",
           "@x", "`x", "&a", "*a", "!x", "'q'", '"q"', "it's", 'say "hi"', "back\\slash",
           "tab\there", "line\nbreak", "two\n\nbreaks\n", "trailing ", " leading", "é", "日本",
           "😀", "\u00a0nbsp", "a:b", "http://x:80/y?a=1&b=2", "*/5 * * * *", "25%", "500m",
           "1Gi", "---", "...", "2001-12-14", "2001-12-14 21:59:43.10 -5", "=", "<<", "~",
           "null", "Null", "true", "True", "yes", "No", "on", "OFF", "y", "n", "Y", "N", "0",
           "1", "-1", "+1", "010", "0o7", "0x1F", "0b101", "1_000", "1e3", "1.5", "1.", ".5",
           "-.5", "1:20", "1:20.5", ".inf", "-.Inf", ".nan", "_1", "sha256:0b6b4b03"]

texts = st.one_of(st.sampled_from(AWKWARD), st.text(max_size=12),
                  st.text(alphabet=" -:#'\"[]{},|>?&*!%.e_xon01\n", max_size=10))
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10 ** 20), 10 ** 20),
                    st.floats(allow_nan=False), texts)
keys = st.one_of(texts, st.integers(-5, 100), st.booleans(), st.none(), st.floats(-2, 2))
data = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=5)), max_leaves=30)
manifests = st.builds(lambda body: {"apiVersion": "v1", "kind": "ConfigMap",
                                    "metadata": {"name": "x"}, "data": body}, data)
SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@needs_yaml_rs
@SETTINGS
@given(documents=st.lists(st.one_of(manifests, data), min_size=1, max_size=3),
       flow=st.sampled_from([False, None, True]), width=st.sampled_from([12, 40, 80, 10_000]),
       indent=st.sampled_from([2, 3, 4]), unicode=st.booleans(), start=st.booleans(),
       style=st.sampled_from([None, None, None, "'", '"']))
def test_dumped_documents_read_and_locate_the_same(documents, flow, width, indent, unicode,
                                                     start, style):
    text = yaml.safe_dump_all(documents, default_flow_style=flow, width=width, indent=indent,
                              allow_unicode=unicode, explicit_start=start, default_style=style,
                              sort_keys=False)
    check(text)


@needs_yaml_rs
@SETTINGS
@given(documents=st.lists(st.one_of(manifests, data), min_size=1, max_size=3), rng=st.randoms())
def test_styled_documents_read_and_locate_the_same(documents, rng):
    check(styled_stream(documents, rng))


@needs_yaml_rs
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=manifests, rng=st.randoms())
def test_positions_asked_cold_are_the_same(document, rng):
    check(styled_stream([document], rng), cold=True)


@needs_yaml_rs
def test_styled_streams_mostly_take_the_fast_path():
    rng = random.Random(7)
    plain = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
             "spec": {"replicas": 3, "template": {"spec": {"containers": [
                 {"name": "web", "image": "nginx:1.25", "args": ["--port", "8080"],
                  "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}},
                  "env": [{"name": "A", "value": "x"}, {"name": "B"}]}]}}}}
    fast = sum(fast_path(yamlparse.parse(styled_stream([plain, plain], rng)))
               for _ in range(50))
    assert fast >= 40


class _Styler:
    """Block YAML in many styles: indentation steps, indentless and compact sequences, items on
    the next line, quoted and block scalars with chomping, multi-line scalars, empty values,
    comments and blank lines anywhere, flow collections now and then."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.lines: list[str] = []

    def maybe_comment(self, column: int) -> None:
        roll = self.rng.random()
        if roll < 0.06:
            self.lines.append(" " * self.rng.randint(0, column + 3) + "# a: b - c on")
        elif roll < 0.1:
            self.lines.append(" " * self.rng.choice([0, 0, 1, 5]))

    def key(self, key) -> str:
        if isinstance(key, str):
            return self.scalar(key, 0, True)[0]
        return yaml.safe_dump(key, default_flow_style=True).split("\n")[0]

    def scalar(self, value, column: int, key: bool = False) -> tuple[str, list[str]]:
        """(text on the line, lines after it)."""
        rng = self.rng
        if not isinstance(value, str):
            if value is None:
                return rng.choice(["", "~", "null"]), []
            return yaml.safe_dump(value, default_flow_style=True).split("\n")[0], []
        roll = rng.random()
        dumped = yaml.safe_dump(value, default_flow_style=True, width=10_000)
        if dumped.endswith("\n...\n"):
            dumped = dumped[:-4]
        one_line = dumped.rstrip("\n")
        if roll < 0.5 and "\n" not in one_line:
            return one_line, []  # as PyYAML writes it: plain when that reads back as a string
        if roll < 0.6 and "'" not in value and "\n" not in value and value.isprintable():
            return f"'{value}'", []
        if (not key and roll < 0.85 and "\n" in value and value.strip() and value[0] != " "
                and all(char.isprintable() or char == "\n" for char in value)):
            indicator = rng.choice(["|", "|-", "|+", ">", ">-"])
            body = [(" " * (column + 2) + line) if line else "" for line in value.split("\n")]
            return indicator + rng.choice(["", "  # c"]), body
        if not key and roll < 0.9 and value.isprintable() and value.strip() == value and value:
            indicator = rng.choice(["|", "|-", ">", ">-", "|2"])
            pad = " " * (column + 2)
            return indicator, [pad + value]
        return json.dumps(value, ensure_ascii=rng.random() < 0.5), []

    def node(self, value, column: int, head: str) -> None:
        """Write `value` after `head`, the text already on its line ('' for a document's root,
        'key:' for a mapping value, '- ' for an item)."""
        rng = self.rng
        if isinstance(value, (dict, list)) and value and rng.random() < 0.08:
            flow = yaml.safe_dump(value, default_flow_style=True, width=10_000).rstrip("\n")
            self.lines.append(f"{head} {flow}" if head.endswith(":") else head + flow)
            return
        if isinstance(value, dict) and value:
            if head.endswith("- ") and rng.random() < 0.7:  # compact: `- key: value`
                inner = len(head)
                for index, (key, child) in enumerate(value.items()):
                    self.node(child, inner, (head if index == 0 else " " * inner)
                              + self.key(key) + rng.choice([":", ":", " :"]))
                return
            inner = column + rng.choice([1, 2, 2, 4]) if head else column
            if head:
                self.lines.append(head.rstrip() + rng.choice(["", "", "  # c"]))
            for key, child in value.items():
                self.maybe_comment(inner)
                self.node(child, inner, " " * inner + self.key(key) + ":")
            return
        if isinstance(value, list) and value:
            indentless = head.endswith(":") and rng.random() < 0.4
            inner = column if indentless or not head else column + rng.choice([1, 2, 4])
            if head:
                self.lines.append(head + rng.choice(["", "", "  # c"]))
            for item in value:
                self.maybe_comment(inner)
                if isinstance(item, (dict, list)) and item and rng.random() < 0.2:
                    self.lines.append(" " * inner + "-")  # the item on the next lines
                    self.node(item, inner + rng.choice([1, 2, 3]), "")
                else:
                    self.node(item, inner, " " * inner + "- ")
            return
        if isinstance(value, (dict, list)):
            empty = "{}" if isinstance(value, dict) else "[]"
            self.lines.append(f"{head} {empty}" if head.endswith(":") else head + empty)
            return
        text, after = self.scalar(value, column)
        if not head:
            self.lines.append(" " * column + (text or "~"))
        elif not text:
            self.lines.append(head.rstrip() + rng.choice(["", "", "   # empty"]))
        elif head.endswith(":") and not after and rng.random() < 0.1:
            self.lines.append(head)  # the value on the next line, indented
            self.lines.append(" " * (column + 2) + text)
        else:
            tail = "" if after or text[0] in "|>" else rng.choice(["", "", "  # c"])
            self.lines.append(head + ("" if head.endswith(" ") else " ") + text + tail)
        self.lines.extend(after)


def styled_stream(documents, rng: random.Random) -> str:
    parts = []
    for index, document in enumerate(documents):
        if index or rng.random() < 0.3:
            parts.append(rng.choice(["---\n", "--- # next\n", "---\n# about it\n\n"]))
        styler = _Styler(rng)
        styler.node(document, 0, "")
        parts.append("\n".join(styler.lines) + "\n")
    text = "".join(parts)
    roll = rng.random()
    if roll < 0.05:
        text = text.replace("\n", "\r\n")
    elif roll < 0.1:
        text = text.rstrip("\n")
    elif roll < 0.13:
        text += "\n\n"
    return text


# -- broken and unusual YAML: the same problems, documents and positions

TOKENS = ["on", "yes", "y", "~", "1e3", "0x1F", "010", "1_0", "12:30", ".5", ".inf", "&a", "*a",
          "!!str", "!x", "'q'", '"q"', '"\\ud83d\\ude00"', "|", ">-", "[a, b]", "{a: 1}", "[]",
          "{}", "{a:, b}", "[?x]", "- x", "? x", ": x", "#c", " #c", "---", "...", "%YAML 1.1",
          "\t", "\r\n", "\r", "\ufeff", "\x85", "\u2028", "é", "😀", "a: b", "-", "<<: {}", "@",
          "`", ",", "]", "}", '"unterminated', "'it''s'", "key:", "  ", "\n", "\n  ", "\n- "]


def _seeds() -> list[str]:
    seeds = [case.values[0] for case in _fixture_manifests()]
    seeds += [path.read_text() for path in sorted((REPO / "examples").rglob("*.y*ml"))]
    return seeds


SEEDS = _seeds()


def mutate(text: str, edits: list[tuple[int, float, float, str]]) -> str:
    lines = text.split("\n")
    for kind, where, where_too, token in edits:
        index = int(where * len(lines)) % max(len(lines), 1)
        line = lines[index] if lines else ""
        column = int(where_too * (len(line) + 1))
        if kind == 0:
            lines[index:index + 1] = [line[:column] + token + line[column:]]
        elif kind == 1 and line:
            lines[index] = line[:column] + line[column + 1:]
        elif kind == 2 and ": " in line:
            lines[index] = line[:line.index(": ") + 2] + token
        elif kind == 3:
            lines.insert(index, line)
        elif kind == 4:
            lines[index:index + 1] = [" " * int(where_too * 3) + line]
        elif kind == 5 and lines:
            del lines[index]
    return "\n".join(lines)


edits = st.lists(st.tuples(st.integers(0, 5), st.floats(0, 1), st.floats(0, 1),
                           st.sampled_from(TOKENS)), min_size=1, max_size=3)


@needs_yaml_rs
@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.sampled_from(SEEDS), edits=edits)
def test_mutated_manifests_read_and_locate_the_same(seed, edits):
    check(mutate(seed, edits))


@needs_yaml_rs
@settings(max_examples=600, deadline=None)
@given(pieces=st.lists(st.sampled_from(
    list("ab10 :\n-#\"'[]{},|>?&*!%.e_xony~\\") + ["\n  ", "\n- ", ": ", "- ", "\n---\n",
                                                   "key: ", "|\n  ", "on", "1.5", '"q"']),
    min_size=1, max_size=25))
def test_yaml_like_noise_reads_the_same(pieces):
    check("".join(pieces))


@settings(max_examples=400, deadline=None)
@given(pieces=st.lists(st.sampled_from(["---", "--- # c", "--- ", "---x", "----", " ---", "a: 1",
                                        "- b", "# c", "", "  "]), max_size=8),
       end=st.sampled_from(["", "\n"]))
def test_documents_are_split_where_libyaml_starts_them(pieces, end):
    """split_documents finds as many documents as libyaml, each span holding its content."""
    text = "\n".join(pieces) + end
    try:
        documents = list(yaml.load_all(text, Loader=yaml.CSafeLoader))
    except yaml.YAMLError:
        return  # not YAML: the composed path reports it
    spans = yamlfast.split_documents(text)
    assert len(spans) == len(documents)
    for (start, stop), document in zip(spans, documents):
        assert yaml.load(text[start:stop], Loader=yaml.CSafeLoader) == document


@needs_yaml_rs
@pytest.mark.parametrize("flow_depth", [0, 1, 2, 51])
def test_the_deepest_nesting_left_unmeasured_is_within_the_limit(flow_depth):
    """Sequence entries holding mappings nest two levels per two spaces, the most that text
    indented less than the measured indentation can nest; a flow collection at the bottom adds
    its own levels. Such a stream is not measured, and needs not be."""
    indent = (yamlfast.MAX_DEPTH - flow_depth) // 2  # from here on, text is measured
    flow = "[" * flow_depth + "]" * flow_depth or "x"
    entries = [" " * column + "- k:" for column in range(0, indent, 2)]
    text = "k:\n" + "\n".join(entries) + " " + flow + "\n"
    assert not yamlfast._may_nest_too_deep(text, flow_depth)
    parsed = check(text)
    assert fast_path(parsed)
    assert 2 * len(entries) + flow_depth < yamlnorm.nesting_depth(parsed.documents) <= MAX_DEPTH


# -- what sends a file to the composed path (each is read differently by the two readers, or
#    only libyaml reports it)

FALLS_BACK = {
    "YAML 1.1 boolean value": "a: on\n",
    "YAML 1.1 boolean key": "on: push\n",
    "YAML 1.1 boolean item": "- yes\n",
    "boolean in a flow sequence": "a: [No, x]\n",
    "octal": "mode: 0644\n",
    "0o octal": "a: 0o17\n",
    "hex upper-case": "a: 0X1F\n",
    "binary": "a: 0b101\n",
    "sexagesimal": "a: 1:20\n",
    "underscores": "a: 1_000\n",
    "int too long for Python's int()": "a: " + "1" * 5000 + "\n",
    "long int (yaml-rs reads big ints its own way)": "a: 1234567890123456789\n",
    "leading underscore": "a: _1\n",
    "exponent without a dot": "a: 1e3\n",
    "exponent without a sign": "a: 1.5e3\n",
    "float without leading digit": "a: -.5\n",
    "float without trailing digit": "a: 5.\n",
    ".inf": "a: .inf\n",
    ".NaN": "a: .NaN\n",
    "JSON-style value after a quoted key": 'a: {"b":1e3}\n',
    "anchor and alias": "a: &x 1\nb: *x\n",
    "alias in a flow sequence": "a: &x 1\nb: [*x]\n",
    "tag": "a: !!str 1\n",
    "local tag": "a: !thing x\n",
    "merge key": "base: {a: 1}\nother:\n  <<: {b: 2}\n",
    "complex key": "? a\n: b\n",
    "empty key": "a: 1\n: 2\n",
    "empty key in a sequence item": "- : x\n",
    "directive": "%YAML 1.1\n---\na: 1\n",
    "document end marker": "a: 1\n...\nb: 2\n",
    "content on the marker line": "--- a\n",
    "block scalar on the marker line": "--- |\n  x\n",
    "root block scalar": "|\nfoo\n",
    "indented root block scalar": "  >\n- 0\n",
    "block scalar at the end of the stream": "a: |\n  x",
    "block scalar before a blank last line": "a: |\n  x\n  \n",
    "empty block scalar at the end": "a: |\n",
    "tab": "a:\tb\n",
    "tab in a quoted scalar": 'a: "x\ty"\n',
    "byte order mark": "a: \ufeffx\n",
    "next line (U+0085)": "a: b\x85c\n",
    "line separator": "a: b\u2028c\n",
    "lone carriage return": "a: 1\rb: 2\r",
    "escaped surrogate pair": 'a: "\\ud83d\\ude00"\n',
    "flow collection as a key": "[a]: 1\n",
    "flow collection as a flow key": "a: {[a, b]}\n",
    "collection key in a flow sequence": "a: [[a]: b]\n",
    "multi-line flow key": 'a: {"b"\n  : c}\n',
    "plain scalar spanning lines in a flow": "a: {n\name: web}\n",
    "block indicator in a flow": "a: {b: |+2}\n",
    "question mark in a flow": "a: [?x]\n",
    "anchor after a comma in a flow": "a: [x, &y z]\n",
    "YAML 1.1 boolean key after a brace": "a: {yes: 1}\n",
    "flow after a bracket inside a scalar": "a: x[0]\nb: {c: |+2}\n",
    "colon before a comma in a flow": "a: {name:, web}\n",
    "deep flow nesting": "a: " + "[" * 60 + "]" * 60 + "\n",
    "deep block nesting": "".join(" " * i + f"k{i}:\n" for i in range(140)) + " " * 140 + "x\n",
    "compact nested sequences": "- - a\n  - b\n",
    "duplicate key": "a: 1\na: 2\n",
    "duplicate key through typing": "1: a\n1.0: b\n",
    "syntax error": "a: [1, 2\n",
    "unknown escape": 'a: "\\q"\n',
    "invalid indentation": "a:\n  b: 1\n c: 2\n",
    "under-indented quoted continuation": 'a: "foo\nbar"\n',
    "alias bomb": "a: &a [x, x]\nb: &b [*a, *a]\n",
    "undefined alias": "a: *nope\n",
    # a typed key found first on its line: the lines after it are still checked
    "tag on a line after a typed key": "1: a\nb:\n  !!str 2\n",
    "YAML 1.1 boolean on a line after a typed key": "0: a\nb:\n  yes\n",
    "complex key after a typed key in an item": "- true: a\n  ? b\n  : c\n",
    "document end marker after a typed key": "null: a\n...\nb: 1\n",
    "octal key": "0644: a\n",
    "typed key after an indentless item": "a:\n- 1: x\n  '1': y\n",
    # found in the flow collections only (after `[`, `{` or `,`)
    "tag first in a flow sequence": "a: [!!str 1]\n",
    "octal after a comma in a nested flow": "a: {b: [1, 017]}\n",
    "alias after a comma on the next line of a flow": "a: [x,\n  y, *z]\n",
    "empty flow key after a brace": "a: {: x}\n",
}


@needs_yaml_rs
@pytest.mark.parametrize("text", list(FALLS_BACK.values()), ids=list(FALLS_BACK))
def test_what_the_readers_may_read_differently_takes_the_composed_path(text):
    assert not fast_path(yamlparse.parse(text))
    check(text)


STAYS_FAST = {
    "cron schedule": "schedule: 0 * * * *\n",
    "quoted booleans": "a: 'on'\nb: \"yes\"\n",
    "y and n are strings in both": "y: n\nY: N\n",
    "numbers both type alike": "a: 1\nb: -2\nc: 0\nd: 1.5\ne: -0.25\nf: +3\n",
    "quantities": "cpu: 500m\nmemory: 1Gi\npercent: 25%\n",
    "versions and digests": "image: app:1.25.3@sha256:0b6b4b03afc78a3d0a3c519c7e26c4\nv: 1.2.3\n",
    "timestamps stay strings": "a: 2001-12-14\nb: 2001-12-14 21:59:43.10 -5\n",
    "null spellings": "a:\nb: ~\nc: null\nd: Null\n",
    "empty flow collections": "emptyDir: {}\nargs: []\n",
    "brackets inside scalars": "a: x[0]{1}\nb: [c, {d: e}]\nf: g{h}[i]\n",
    "flow collections": "a: [x, \"y\", 'z', 1]\nb: {c: d, e: [f]}\n",
    "JSON-style flow": 'a: {"b":[1, 2], "c":{"d":"e"}}\n',
    "multi-line flow after commas": "a: [x,\n  y]\n",
    "block scalars": "a: |\n  x\n  y\nb: >-\n  folded\n  text\nc: |+\n  kept\n\nd: 1\n",
    "block scalar with indentation indicator": "a: |2\n    x\nb: 1\n",
    "quoted scalars": "a: 'it''s'\nb: \"tab\\there \\u00e9\"\n",
    "multi-line scalars": "a: one\n  two\n\n  three\nb: \"x\n  y\"\n",
    "comments": "# head\na: 1  # after\n  # indented\nb:\n  # before\n  c: 2\n",
    "CRLF line breaks": "a: 1\r\nb:\r\n  - x\r\n",
    "heredoc in a block scalar": "script: |\n  cat <<EOF\n  x\n  EOF\n",
    "documents": "a: 1\n---\nb: 2\n--- # c\n---\n",
    "no final line break": "a: 1",
    "typed keys made strings": "1: a\nfalse: b\n~: c\n-2.5: d\n",
    "typed keys in items and flow mappings": "- 1: a\n  null: b\n- {2: c, True: d}\n",
    "typed keys in flow sequences": "a: [1: b]\nc: [x, true: d, [~: e]]\n",
    "flow indicators inside plain scalars": "a: x, &y\nb: c [&d, yes]\nc: e{on}\n",
    "typed-looking values and quoted keys": "a: 1\nb: true\n'1': x\n\"null\": y\n",
}


@needs_yaml_rs
@pytest.mark.parametrize("text", list(STAYS_FAST.values()), ids=list(STAYS_FAST))
def test_ordinary_yaml_takes_the_fast_path(text):
    assert fast_path(check(text))


# -- positions


POSITIONS = """\
# a comment before the first document
apiVersion: v1
kind: List
items:
- metadata:
    name: web   # a comment
    labels: {app: web}
  spec:
    containers:
      -   name: a
          image: "x:1"
      -
        name: b
        args:
          -
            - nested
          - ''
        command: [sh, -c]
    empty:
    "quoted key": |
      block
      text
    'single': 1
---
- a
-
-
   - b
"""


@needs_yaml_rs
@pytest.mark.parametrize(("document", "path", "key", "expected"), [
    (0, (), False, (2, 1)),
    (0, ("items",), False, (5, 1)),                       # an indentless sequence: its `-`
    (0, ("items",), True, (4, 1)),
    (0, ("items", 0, "metadata", "name"), False, (6, 11)),
    (0, ("items", 0, "metadata", "name"), True, (6, 5)),
    (0, ("items", 0, "metadata", "labels", "app"), False, (7, 19)),   # inside a flow mapping
    (0, ("items", 0, "spec", "containers", 0), False, (10, 11)),     # a compact mapping
    (0, ("items", 0, "spec", "containers", 0, "image"), False, (11, 18)),
    (0, ("items", 0, "spec", "containers", 1), False, (13, 9)),      # on the line after `-`
    (0, ("items", 0, "spec", "containers", 1, "args", 0, 0), False, (16, 15)),
    (0, ("items", 0, "spec", "containers", 1, "args", 1), False, (17, 13)),
    (0, ("items", 0, "spec", "containers", 1, "command", 1), False, (18, 23)),
    (0, ("items", 0, "spec", "empty"), False, (19, 11)),  # an empty value: after its `:`
    (0, ("items", 0, "spec", "quoted key"), True, (20, 5)),
    (0, ("items", 0, "spec", "quoted key"), False, (20, 19)),
    (0, ("items", 0, "spec", "single"), True, (23, 5)),
    (0, ("items", 0, "spec", "missing", "deeper"), False, (9, 5)),   # the deepest parent
    (0, ("items", 5), False, (5, 1)),
    (1, (1,), False, (26, 2)),                            # an empty item: after its `-`
    (1, (2,), False, (28, 4)),
    (1, (2, 0), False, (28, 6)),
])
def test_positions(document, path, key, expected):
    parsed = yamlparse.parse(POSITIONS)
    assert fast_path(parsed)
    assert parsed.locate(document, path, key) == expected
    assert yamlparse.parse_composed(POSITIONS).locate(document, path, key) == expected
    check(POSITIONS)


@needs_yaml_rs
def test_written_scalars():
    text = "a: 15\nb: 1.50\nc: ~\nd:\ne: True\nf: '1'\ng: [1]\nh: +7\n"
    parsed = yamlparse.parse(text)
    assert fast_path(parsed)
    assert [parsed.scalar_text(0, (key,)) for key in "abcdefgh"] == [
        "15", "1.50", "~", "", "True", "1", None, "+7"]
    check(text)


@needs_yaml_rs
def test_keys_that_are_not_strings_read_as_kubernetes_reads_them():
    """sigs.k8s.io/yaml makes every key a JSON string: `1` and `true` are two keys (a Python
    dict would merge them, 1 == True), `80` and `"80"` are one (the last wins)."""
    parsed = check('data:\n  80: a\n  true: c\n  1: d\n  1.0e+6: e\n  null: f\n')
    assert parsed.documents == [{"data": {"80": "a", "true": "c", "1": "d", "1e+06": "e",
                                          "null": "f"}}]
    assert not parsed.problems
    assert [parsed.locate(0, ("data", key), True) for key in ("true", "1", "1e+06")] == [
        (3, 3), (4, 3), (5, 3)]
    fast = check('data:\n  80: a\n  1.5: b\n  null: c\n')  # yaml-rs's keys made strings
    assert fast_path(fast) and fast.documents == [{"data": {"80": "a", "1.5": "b", "null": "c"}}]
    merged = check('data:\n  80: a\n  "80": b\n  True: c\n')
    assert merged.documents == [{"data": {"80": "b", "true": "c"}}]
    assert [(p.kind, p.line, p.column) for p in merged.problems] == [("duplicate-key", 3, 3)]
    assert merged.locate(0, ("data", "80")) == (3, 9)     # the last key written "80" wins
    assert merged.locate(0, ("data", "true"), True) == (4, 3)


@needs_yaml_rs
def test_a_file_with_a_problem_reports_it_exactly_as_before():
    text = "a: 1\n---\nb: 1\nb: 2\n---\nc: [\n"
    parsed = yamlparse.parse(text)
    assert not fast_path(parsed)
    assert [(p.kind, p.line, p.column) for p in parsed.problems] == [
        ("duplicate-key", 4, 1), ("parse-error", 7, 1)]
    assert parsed.documents == [{"a": 1}, {"b": 2}]


def test_without_yaml_rs_every_file_takes_the_composed_path(monkeypatch):
    monkeypatch.setattr(yamlfast, "yaml_rs", None)
    parsed = yamlparse.parse(POSITIONS)
    assert not fast_path(parsed)
    assert parsed.documents == yamlparse.parse_composed(POSITIONS).documents
    assert parsed.locate(0, ("items", 0, "metadata", "name")) == (6, 11)


def test_the_fast_path_can_be_turned_off(monkeypatch):
    monkeypatch.setattr(yamlfast, "FAST_PATH", False)
    assert not fast_path(yamlparse.parse("a: 1\n"))


@needs_yaml_rs
def test_positions_by_composing_each_document(monkeypatch):
    monkeypatch.setattr(yamltext, "TEXT_LOCATOR", False)
    parsed = check(POSITIONS)
    assert fast_path(parsed)
    assert sorted(parsed._source.composed) == [0, 1]


def test_generated_crds_read_by_yaml_rs_alone_equal_the_checked_reading():
    """load_generated skips the YAML 1.1 checks for charts' CRDs: it must read them the same."""
    import helm_python

    from conftest import chart_archive

    with helm_python.Chart.load(str(chart_archive("kube-prometheus-stack", "88.5.3"))) as chart:
        crds = [crd["data"] for crd in chart.crds]
    assert len(crds) == 10
    for text in crds:
        assert yamlparse.load_generated(text) == yamlparse.parse(text).documents
    assert yamlparse.load_generated("a: [1\n") is None
