"""The Handlebars subset SES renders templates with: paths (``{{a.b}}``, ``../``, ``@index``),
``if``/``unless``/``each``/``with`` blocks with ``else``, inline partials, comments, ``~``.

Pure functions: ``parse`` checks a template, ``render`` fills it from JSON data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

HELPERS = ("if", "unless", "each", "with")
EXPRESSION_HELPERS = ("lookup", "log")
# Partials that include partials stop here instead of recursing without end.
MAX_PARTIAL_DEPTH = 32
_STANDALONE = {"comment", "open", "inverse", "close", "else", "partial", "inline"}

_TAG = re.compile(
    r"\{\{(?P<left>~?)(?:!--(?P<long>.*?)--|!(?P<short>.*?)|\{(?P<raw>.*?)\}|(?P<body>.*?))"
    r"(?P<right>~?)\}\}",
    re.S,
)
_ARG = re.compile(r'"[^"]*"|\'[^\']*\'|\[[^\]]*\][^\s]*|[^\s]+')
_NUMBER = re.compile(r"-?\d+(\.\d+)?$")
_SEGMENT = re.compile(r"\[([^\]]*)\]|([^./\[]+)")


class TemplateSyntaxError(ValueError):
    """A template Handlebars cannot compile (unclosed block, unknown partial, ...)."""


class MissingAttribute(Exception):
    """``{{name}}`` names data the rendering data lacks."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass(slots=True)
class _Tag:
    kind: str
    expr: str
    strip_left: bool = False
    strip_right: bool = False


@dataclass(slots=True)
class Mustache:
    path: str
    params: list[Any]


@dataclass(slots=True)
class Block:
    name: str
    params: list[Any]
    body: list[Any] = field(default_factory=list)
    inverse: list[Any] = field(default_factory=list)


@dataclass(slots=True)
class Partial:
    name: str
    context: Any = None


@dataclass(slots=True)
class Path:
    text: str


@dataclass(slots=True)
class Template:
    nodes: list[Any]
    partials: dict[str, list[Any]]


def _tokens(source: str) -> list[Any]:
    """Text and tags, alternating (text first and last), whitespace control applied."""
    items: list[Any] = []
    position = 0
    for match in _TAG.finditer(source):
        items.append(source[position : match.start()])
        items.append(_tag(match))
        position = match.end()
    items.append(source[position:])
    # Handlebars drops the line of a block tag that stands alone on it, so that
    # `{{#each}}` on its own line leaves no blank line behind. Decide on the original text.
    standalone = [
        index
        for index in range(1, len(items), 2)
        if items[index].kind in _STANDALONE
        and re.search(r"\n[ \t]*$" if index > 1 else r"(^|\n)[ \t]*$", items[index - 1])
        and re.match(
            r"[ \t]*(\r?\n|$)" if index + 2 == len(items) else r"[ \t]*\r?\n", items[index + 1]
        )
    ]
    for index in standalone:
        items[index - 1] = re.sub(r"[ \t]*$", "", items[index - 1])
        items[index + 1] = re.sub(r"^[ \t]*(\r?\n)?", "", items[index + 1])
    for index in range(1, len(items), 2):
        if items[index].strip_left:
            items[index - 1] = items[index - 1].rstrip()
        if items[index].strip_right:
            items[index + 1] = items[index + 1].lstrip()
    return items


def _tag(match: re.Match[str]) -> _Tag:
    left, right = bool(match["left"]), bool(match["right"])
    if match["long"] is not None or match["short"] is not None:
        return _Tag("comment", "", left, right)
    if match["raw"] is not None:
        return _Tag("var", match["raw"].strip(), left, right)
    body = match["body"].strip()
    if body.startswith("#*"):
        return _Tag("inline", body[2:].strip(), left, right)
    for prefix, kind in (("#", "open"), ("/", "close"), (">", "partial"), ("^", "inverse")):
        if body.startswith(prefix):
            rest = body[1:].strip()
            if kind == "inverse" and not rest:
                return _Tag("else", "", left, right)
            return _Tag(kind, rest, left, right)
    if body == "else" or body.startswith("else "):
        return _Tag("else", body[4:].strip(), left, right)
    return _Tag("var", body, left, right)


def _args(expr: str) -> tuple[str, list[Any]]:
    words = [word for word in _ARG.findall(expr) if "=" not in word or word[0] in "\"'"]
    if not words:
        raise TemplateSyntaxError("an expression is empty")
    return words[0], [_literal(word) for word in words[1:]]


def _literal(word: str) -> Any:
    if word[0] in "\"'":
        return word[1:-1]
    if word in ("true", "false"):
        return word == "true"
    if word in ("null", "undefined"):
        return None
    if _NUMBER.match(word):
        return float(word) if "." in word else int(word)
    return Path(word)


class _Parser:
    def __init__(self, tokens: list[Any]) -> None:
        self.tokens = tokens
        self.position = 0
        self.partials: dict[str, list[Any]] = {}
        self.used: set[str] = set()

    def nodes(self, inside: str | None) -> tuple[list[Any], _Tag | None]:
        found: list[Any] = []
        while self.position < len(self.tokens):
            token = self.tokens[self.position]
            self.position += 1
            if isinstance(token, str):
                if token:
                    found.append(token)
            elif token.kind in ("close", "else"):
                if inside is None:
                    written = f"/{token.expr}" if token.kind == "close" else "else"
                    raise TemplateSyntaxError(f"{{{{{written}}}}} closes no block")
                return found, token
            elif token.kind == "var":
                path, params = _args(token.expr)
                if params and path not in EXPRESSION_HELPERS:
                    raise TemplateSyntaxError(f'Missing helper: "{path}"')
                found.append(Mustache(path, params))
            elif token.kind == "partial":
                name, params = _args(token.expr)
                self.used.add(name.strip("\"'"))
                found.append(Partial(name.strip("\"'"), params[0] if params else None))
            elif token.kind == "inline":
                self.inline(token)
            elif token.kind in ("open", "inverse"):
                found.append(self.block(token, None))
        if inside is not None:
            raise TemplateSyntaxError(f"the block '{inside}' is never closed")
        return found, None

    def inline(self, token: _Tag) -> None:
        helper, params = _args(token.expr)
        if helper != "inline" or len(params) != 1 or not isinstance(params[0], str):
            raise TemplateSyntaxError(f"unsupported decorator {{{{#*{token.expr}}}}}")
        body, end = self.nodes("inline")
        if end is None or end.kind != "close" or end.expr != "inline":
            raise TemplateSyntaxError("the inline partial is not closed by {{/inline}}")
        self.partials[params[0]] = body

    def block(self, token: _Tag, closing: str | None) -> Block:
        name, params = _args(token.expr)
        if params and name not in HELPERS:
            raise TemplateSyntaxError(f'Missing helper: "{name}"')
        if name in HELPERS and len(params) != 1:
            raise TemplateSyntaxError(f"#{name} requires exactly one argument")
        block = Block(name, params)
        body, end = self.nodes(closing or name)
        if end is not None and end.kind == "else" and end.expr:
            # `{{else if x}}` chains a block that ends at the outer block's close tag.
            tail: list[Any] = [self.block(_Tag("open", end.expr), closing or name)]
            end = None
        elif end is not None and end.kind == "else":
            tail, end = self.nodes(closing or name)
            if end is not None and end.kind != "close":
                raise TemplateSyntaxError(f"the block '{name}' has two {{{{else}}}} sections")
        else:
            tail = []
        if end is not None and end.expr != (closing or name):
            raise TemplateSyntaxError(f"'{name}' doesn't match '{end.expr}'")
        block.body, block.inverse = (tail, body) if token.kind == "inverse" else (body, tail)
        return block


def parse(source: str) -> Template:
    parser = _Parser(_tokens(source))
    nodes, _ = parser.nodes(None)
    for name in sorted(parser.used - parser.partials.keys()):
        raise TemplateSyntaxError(f"The partial {name} could not be found")
    return Template(nodes, parser.partials)


@dataclass(slots=True)
class _Scope:
    contexts: list[Any]
    data: dict[str, Any]
    depth: int = 0


def render(source: str, data: dict[str, Any]) -> str:
    """``source`` filled from ``data``; a ``{{name}}`` the data lacks raises MissingAttribute."""
    template = parse(source)
    out: list[str] = []
    _render(template, template.nodes, _Scope([data], {"root": data}), out)
    return "".join(out)


def _render(template: Template, nodes: list[Any], scope: _Scope, out: list[str]) -> None:
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, Mustache):
            if node.path == "log":
                continue
            value = _lookup(node, scope) if node.path == "lookup" else _value(node.path, scope)
            # AWS quirk: SES renders like Handlebars' strict mode: an output expression
            # whose data is absent (or null) fails the message, rather than printing ''
            # (AWS knowledge center ses-sendtemplatedemail-delivery-failure).
            if value is MISSING or (value is None and node.path not in ("this", ".")):
                raise MissingAttribute(node.path)
            # AWS quirk: "SES doesn't escape HTML content when rendering the HTML template"
            # (docs.aws.amazon.com/ses/latest/dg/send-personalized-email-advanced.html), so
            # `{{x}}` and `{{{x}}}` print the same.
            out.append(text_of(value))
        elif isinstance(node, Partial):
            if scope.depth >= MAX_PARTIAL_DEPTH:
                raise TemplateSyntaxError(f"the partial {node.name} includes itself endlessly")
            contexts = scope.contexts
            if node.context is not None:
                contexts = [*contexts, _arg(node.context, scope)]
            inner = _Scope(contexts, scope.data, scope.depth + 1)
            _render(template, template.partials[node.name], inner, out)
        else:
            _block(template, node, scope, out)


def _block(template: Template, block: Block, scope: _Scope, out: list[str]) -> None:
    # Block parameters are lenient: `{{#if x}}` on absent data is false, not an error, as
    # SES documents `if` for "if a certain attribute is present in the template data".
    value = _arg(block.params[0], scope) if block.params else _value(block.name, scope)
    helper = block.name if block.name in HELPERS else None
    if helper in ("if", "unless"):
        chosen = block.body if truthy(value) == (helper == "if") else block.inverse
        _render(template, chosen, scope, out)
    elif helper == "with" or (helper is None and isinstance(value, dict)):
        if truthy(value):
            _render(
                template, block.body, _Scope([*scope.contexts, value], scope.data, scope.depth), out
            )
        else:
            _render(template, block.inverse, scope, out)
    elif helper == "each" or isinstance(value, list):
        items = list(value.items()) if isinstance(value, dict) else None
        sequence = value if isinstance(value, list) else [item for _, item in items or []]
        if not sequence:
            _render(template, block.inverse, scope, out)
        for index, item in enumerate(sequence):
            frame = {
                **scope.data,
                "index": index,
                "first": index == 0,
                "last": index == len(sequence) - 1,
            }
            if items is not None:
                frame["key"] = items[index][0]
            _render(template, block.body, _Scope([*scope.contexts, item], frame, scope.depth), out)
    else:
        # A section over a plain value, as Mustache and Handlebars' blockHelperMissing do.
        _render(template, block.body if truthy(value) else block.inverse, scope, out)


def _lookup(node: Mustache, scope: _Scope) -> Any:
    """`{{lookup obj key}}`: the member of ``obj`` named by the value of ``key``."""
    if len(node.params) != 2:
        raise TemplateSyntaxError("lookup requires exactly two arguments")
    base, key = (_arg(param, scope) for param in node.params)
    return _walk(base, f"[{text_of(key)}]") if key is not MISSING else MISSING


def _arg(arg: Any, scope: _Scope) -> Any:
    return _value(arg.text, scope) if isinstance(arg, Path) else arg


def _value(path: str, scope: _Scope) -> Any:
    if path.startswith("@"):
        name, _, rest = path[1:].partition(".")
        base = scope.data.get(name, MISSING)
        return _walk(base, rest) if rest else base
    depth = 0
    while path.startswith("../"):
        depth, path = depth + 1, path[3:]
    if depth >= len(scope.contexts):
        return MISSING
    context = scope.contexts[-1 - depth]
    for prefix in ("this.", "this/", "./"):
        path = path.removeprefix(prefix)
    return context if path in ("this", ".") else _walk(context, path)


def _walk(value: Any, path: str) -> Any:
    for bracketed, plain in _SEGMENT.findall(path):
        key = bracketed or plain
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            return MISSING
    return value


def truthy(value: Any) -> bool:
    """Handlebars' truth: false, null, absent, '', 0 and [] are false; {} is true."""
    if value is MISSING or value is None or value is False:
        return False
    if isinstance(value, dict):
        return True
    return bool(value)


def text_of(value: Any) -> str:
    """A JSON value as JavaScript prints it, which is how Handlebars outputs it."""
    if value is None or value is MISSING:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e21 else repr(value)
    if isinstance(value, list):
        return ",".join(text_of(item) for item in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)
