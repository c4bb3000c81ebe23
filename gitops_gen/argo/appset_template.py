"""The two template languages of ApplicationSets, and how Go prints parameter values.

fasttemplate (`{{path.basename}}`, the default) is a plain substitution, done here. Go templates
(`goTemplate: true`) are evaluated by Helm's own engine, which is Go's text/template with sprig as
in Argo CD, through helm-python-sdk: every distinct string becomes a named template of a chart
held in memory, and one render evaluates every string against every parameter set. Argo CD's
`normalize` and `slugify` are defined in that chart; Helm's additions that Argo CD lacks
(`include`, `tpl`, `required`, `lookup`, ...) are refused.
"""

from __future__ import annotations

import base64
import io
import json
import re
import tarfile
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterator

import helm_python as helm

NO_VALUE = "<no value>"
"""What Go's text/template prints for a missing key unless `missingkey=error`."""

ARGO_FUNCTIONS = ("normalize", "slugify")
HELM_ONLY_FUNCTIONS = frozenset({
    "include", "tpl", "required", "lookup", "getHostByName", "toToml", "mustToToml", "fromToml",
    "mustToYaml", "toYamlPretty", "fromJsonArray", "mustToDuration", "durationSeconds",
    "durationMilliseconds", "durationMicroseconds", "durationNanoseconds", "durationMinutes",
    "durationHours", "durationDays", "durationWeeks", "durationRoundTo", "durationTruncateTo"})

_HELPERS = """\
{{- define "argocd.normalize" -}}
{{- regexReplaceAll "[^-a-z0-9.]" (lower (last .)) "-" | trunc 253 | trimAll "-." -}}
{{- end -}}
{{- define "argocd.slugify" -}}
{{- $max := 50 }}{{ $smart := true -}}
{{- if gt (len .) 1 }}{{ $max = index . 0 }}{{ end -}}
{{- if gt (len .) 2 }}{{ $smart = index . 1 }}{{ end -}}
{{- $slug := include "argocd.normalize" (list (last .)) -}}
{{- if and (not $smart) (ge (len $slug) $max) -}}
{{- $slug = regexFind (printf "^.{0,%d}" $max) $slug -}}
{{- end -}}
{{- $slug = regexReplaceAll "-+" (regexReplaceAll "[^a-zA-Z0-9-_]" $slug "-") "-" | trimAll "-_" -}}
{{- $cut := regexFind "^.*-" (regexFind (printf "^.{0,%d}" (add1 $max)) $slug) -}}
{{- if or (not $smart) (le $max 0) (le (len $slug) $max) }}{{ $slug }}
{{- else if $cut }}{{ trimSuffix "-" $cut }}
{{- else }}{{ regexFind (printf "^.{0,%d}" $max) $slug }}{{ end -}}
{{- end -}}
"""
"""Argo CD's `normalize` (SanitizeName) and `slugify` (SanitizeName, then gosimple/slug with
maxSize 50 and smart truncation unless given), each called with the list of its arguments."""

_CHART = "appset"
_ACTION = re.compile(r"(\{\{(?:-\s)?)(.*?)((?:\s-)?\}\})", re.S)
_PIECE = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`|\'(?:[^\'\\]|\\.)*\'|(?<![\w.$])[A-Za-z_]\w*|\w+|[()|]'
                    r'|[^"`\'()|\w]+|.', re.S)
_TEMPLATED = re.compile(r"\{\{.*\}\}")  # the controller's test before fasttemplate


class TemplateError(Exception):
    """The string at `index` failed, for the parameter set at `param_index` when that is known."""

    def __init__(self, message: str, index: int, param_index: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.index = index
        self.param_index = param_index


@dataclass(frozen=True)
class Templates:
    """How an ApplicationSet's strings are rendered: `go` for goTemplate, else fasttemplate."""

    go: bool = False
    missing_key_error: bool = False

    def render(self, texts: list[str], param_sets: list[dict]) -> list[list[str]]:
        """Every text rendered with every parameter set: one row per parameter set."""
        if not self.go:
            return [[_fasttemplate(text, params, i) for i, text in enumerate(texts)]
                    for params in param_sets]
        rows = [list(texts) for _ in param_sets]
        sources: dict[str, int] = {}
        for text in texts:
            if "{{" in text:  # a Go template without actions prints itself
                sources.setdefault(text, len(sources))
        if not sources or not param_sets:
            return rows
        try:
            rendered = _helm_render(list(sources), param_sets)
        except TemplateError as error:
            error.index = texts.index(list(sources)[error.index])
            raise
        for row, outputs in zip(rows, rendered):
            for i, text in enumerate(texts):
                if text in sources:
                    row[i] = outputs[sources[text]]
        return rows


def _fasttemplate(text: str, params: dict, index: int) -> str:
    """valyala/fasttemplate as the controller calls it: unknown or non-string tags stay as written."""
    if not _TEMPLATED.search(text):
        return text
    parts, rest = [], text
    while (start := rest.find("{{")) >= 0:
        parts.append(rest[:start])
        end = rest.find("}}", start + 2)
        if end < 0:
            raise TemplateError(f"invalid template: no '}}}}' closes the '{{{{' in {text!r}", index)
        tag, rest = rest[start + 2:end], rest[end + 2:]
        value = params.get(tag.strip())
        parts.append(value if tag.strip() and isinstance(value, str) else "{{" + tag + "}}")
    parts.append(rest)
    return "".join(parts)


def _helm_render(sources: list[str], param_sets: list[dict]) -> list[list[str]]:
    """Render each source with each parameter set in one Helm render of a chart held in memory."""
    files = {"Chart.yaml": f"apiVersion: v2\nname: {_CHART}\nversion: 0.1.0\n",
             "templates/_argocd.tpl": _HELPERS}
    for i, source in enumerate(sources):
        files[f"templates/_s{i}.tpl"] = '{{ define "appset.s%d" }}%s{{ end }}' % (i, _prepare(source, i))
    # One line per source after the range line; b64enc keeps Helm from erasing NO_VALUE.
    files["templates/out"] = "{{- range .Values.ps }}\n" + "".join(
        ':{{ include "appset.s%d" . | b64enc }}\n' % i for i in range(len(sources))) + "{{- end }}\n"
    # Parameters are JSON in Argo CD: a date a YAML loader made of a list element is text there.
    param_sets = json.loads(json.dumps(param_sets, default=str))
    with helm.Chart.load_archive(_archive(files)) as chart:
        try:
            output = chart.render({"ps": param_sets}, name=_CHART)[f"{_CHART}/templates/out"]
        except helm.HelmError as error:
            raise _template_error(chart, str(error), sources, param_sets) from None
    tokens = output.split()
    count = len(sources)
    return [[base64.b64decode(tokens[p * count + i][1:]).decode() for i in range(count)]
            for p in range(len(param_sets))]


def _prepare(source: str, index: int) -> str:
    """Refuse Helm's extra functions; call Argo CD's own as `list ARGS | include "argocd.NAME"`."""
    def action(match: re.Match) -> str:
        opening, inner, closing = match.groups()
        if inner.lstrip().startswith("/*"):
            return match.group()
        out: list[str] = []
        pending: list[tuple[int, str]] = []  # (parenthesis depth, function) awaiting its include
        depth = 0

        def close(level: int) -> None:
            while pending and pending[-1][0] >= level:
                out.append(f' | include "argocd.{pending.pop()[1]}"')

        for piece in _PIECE.findall(inner):
            if piece in HELM_ONLY_FUNCTIONS:
                raise TemplateError(f'function "{piece}" not defined (Helm has it, Argo CD does not)',
                                    index)
            if piece in ("|", ")"):
                close(depth)
            depth += {"(": 1, ")": -1}.get(piece, 0)
            if piece in ARGO_FUNCTIONS:
                pending.append((depth, piece))
                piece = "list"
            out.append(piece)
        close(0)
        return opening + "".join(out) + closing
    return _ACTION.sub(action, source)


def _archive(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{_CHART}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _template_error(chart: helm.Chart, message: str, sources: list[str],
                    param_sets: list[dict]) -> TemplateError:
    """Which source failed (from Helm's file names), for which parameter set, and why in one line."""
    named = re.search(r"templates/_s(\d+)\.tpl", message)
    line = re.search(r"templates/out:(\d+)", message)
    index = int(named[1]) if named else int(line[1]) - 2 if line else 0
    index = min(max(index, 0), len(sources) - 1)
    param_index = None
    if "parse error" not in message:
        for p, params in enumerate(param_sets):
            try:
                chart.render({"ps": [params]}, name=_CHART)
            except helm.HelmError:
                param_index = p
                break
    return TemplateError(_one_line(message), index, param_index)


def _one_line(message: str) -> str:
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    cause = re.sub(r"^execution error at \([^)]*\): ", "", lines[-1])
    cause = re.sub(r"^parse error at \([^)]*\): ", "parse error: ", cause)
    where = re.findall(r'executing "appset\.s\d+" at <(.*?)>:', message)
    text = f"at <{where[-1]}>: {cause}" if where else cause
    return re.sub(r'list (.*?) \| include "argocd\.(\w+)"', r"\2 \1", text)


def strings_in(tree: Any, path: tuple = (), leaves: list | None = None) -> list[tuple[tuple, str]]:
    """Every string of `tree` with its path, map keys included, in the order `rebuild` reads them."""
    leaves = [] if leaves is None else leaves
    if isinstance(tree, str):
        leaves.append((path, tree))
    elif isinstance(tree, dict):
        for key, value in tree.items():
            if isinstance(key, str):
                leaves.append((path + (key,), key))
            strings_in(value, path + (key,), leaves)
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            strings_in(value, path + (index,), leaves)
    return leaves


def rebuild(tree: Any, texts: Iterator[str]) -> Any:
    """A copy of `tree` whose strings are taken from `texts`, in `strings_in`'s order."""
    if isinstance(tree, str):
        return next(texts)
    if isinstance(tree, dict):
        rebuilt = {}
        for key, value in tree.items():
            new_key = next(texts) if isinstance(key, str) else key
            rebuilt[new_key] = rebuild(value, texts)
        return rebuilt
    if isinstance(tree, list):
        return [rebuild(value, texts) for value in tree]
    return tree


def missing_key(text: str, params: dict) -> str | None:
    """Go's message for the first `.a.b` reference of `text` that `params` lacks, if one does.

    A key that is there with a null value prints NO_VALUE too, without failing `missingkey=error`.
    """
    for match in re.finditer(r"(?<![\w$)\]])\.([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)", text):
        node: Any = params
        for part in match[1].split("."):
            if not isinstance(node, dict) or part not in node:
                return f'map has no entry for key "{part}"'
            node = node[part]
    return None


def go_string(value: Any) -> str:
    """`fmt.Sprintf("%v", value)` for a value decoded from JSON (numbers are float64)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "<nil>"
    if isinstance(value, (int, float)):
        return _go_float(float(value))
    if isinstance(value, list):
        return "[" + " ".join(go_string(item) for item in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_string(v)}" for k, v in sorted(value.items(), key=str)) + "]"
    return str(value)


def _go_float(number: float) -> str:
    """Go's shortest %v of a float64: exponent form from 1e+06 up and below 1e-04."""
    if number != number or number in (float("inf"), float("-inf")):
        return {"nan": "NaN", "inf": "+Inf", "-inf": "-Inf"}[repr(number)]
    if number == 0:
        return "-0" if str(number).startswith("-") else "0"
    sign, digit_tuple, exponent = Decimal(repr(number)).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    point = len(digits) + int(exponent)  # value = 0.<digits> * 10**point
    minus = "-" if sign else ""
    if point - 1 < -4 or point - 1 >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{minus}{mantissa}e{'-' if point - 1 < 0 else '+'}{abs(point - 1):02d}"
    if point <= 0:
        return f"{minus}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return minus + digits + "0" * (point - len(digits))
    return f"{minus}{digits[:point]}.{digits[point:]}"


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """jeremywohl/flatten in dot style, values printed with %v: what post-selectors match."""
    flat: dict[str, str] = {}
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(item, (dict, list)):
            flat.update(flatten(item, name))
        else:
            flat[name] = go_string(item)
    return flat


def sanitize(name: str) -> str:
    """Argo CD's SanitizeName (`normalize`): a DNS-1123 subdomain made of `name`."""
    return re.sub(r"[^-a-z0-9.]", "-", name.lower())[:253].strip("-.")
