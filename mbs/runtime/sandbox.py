"""The one jinja2 environment every scenario text renders in: sandboxed and bounded.

A scenario, or a tampered ``.mbsc``, is code written by someone else. Its texts render
in an :class:`~jinja2.sandbox.ImmutableSandboxedEnvironment` narrowed further:

- attributes: no ``_``-prefixed name (jinja2's rule); callables only from
  :data:`SAFE_METHODS` (a few string methods and ``loop.cycle``); a mapping's keys win
  over its methods, so a contact field named ``items`` is the field;
- globals: only ``range`` (at most :data:`MAX_RANGE` items); no ``cycler``,
  ``joiner``, ``lipsum``, ``namespace`` or ``dict``;
- filters: only :data:`SAFE_FILTERS`, each charged to the render's budget by the size
  of what it is given, and ``str.format``/``%`` formatting is refused;
- work: every loop iteration, call and filter spends from a budget of
  :data:`MAX_STEPS` per render; ``*``, ``**``, ``+`` and ``~`` refuse results larger
  than :data:`MAX_STRING` characters (or :data:`MAX_INT_BITS` bits);

# Statements a text may use; macros, includes, imports, call blocks and recursive loops
# are refused by the compiler (and cannot reach anything at run time: no loader).
SAFE_STATEMENTS = (
    nodes.Template,
    nodes.Output,
    nodes.If,
    nodes.For,
    nodes.Assign,
    nodes.AssignBlock,
    nodes.With,
    nodes.FilterBlock,
    nodes.ExprStmt,
)
- output: at most :data:`MAX_OUTPUT` characters per render.

Exceeding a bound raises :class:`TemplateLimitExceeded` at once; the VM turns it into
TECHNICAL_ERROR with the instruction's source location. The compiler reports the same
rules statically (``TemplateNotAllowed``), so a scenario that lints clean never meets
them, and one that was tampered with after compiling is stopped here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sized
from contextvars import ContextVar
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment

from mbs.runtime.errors import VmError
from mbs.template_rules import FILTERS as SAFE_FILTERS
from mbs.template_rules import METHODS as SAFE_METHODS

MAX_STEPS = 10_000  # loop iterations + calls + filter input sizes, per render
MAX_RANGE = 1_000  # items of one range()
MAX_STRING = 10_000  # characters (or items) a single operation may build
MAX_OUTPUT = 10_000  # characters one render may produce
MAX_INT_BITS = 4_096  # size of an integer an operation may build


class TemplateLimitExceeded(VmError):
    """A render went past one of the sandbox's bounds (the message says which)."""


class _Budget:
    __slots__ = ("left",)

    def __init__(self) -> None:
        self.left = MAX_STEPS

    def spend(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise TemplateLimitExceeded(
                f"the text does too much work (over {MAX_STEPS} loop turns, calls and "
                "filtered items in one render)"
            )


_BUDGET: ContextVar[_Budget | None] = ContextVar("mbs_template_budget", default=None)


def _spend(n: int) -> None:
    budget = _BUDGET.get()
    if budget is None:
        # Outside a render: jinja2 folding constants at compile time. Refusing makes it
        # leave the work to the render, where the budget applies.
        raise TemplateLimitExceeded("not inside a render")
    budget.spend(n)


def _size(value: object) -> int:
    return len(value) if isinstance(value, Sized) else 1


def _check_string(value: object) -> object:
    if isinstance(value, str | list | tuple) and len(value) > MAX_STRING:
        raise TemplateLimitExceeded(f"the text builds a value over {MAX_STRING} characters")
    return value


def _bounded_range(*args: int) -> range:
    rng = range(*args)
    if len(rng) > MAX_RANGE:
        raise TemplateLimitExceeded(f"range() of {len(rng)} items (at most {MAX_RANGE})")
    _spend(len(rng))
    return rng


def _charged(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` (a jinja2 filter) charged by the size of its input, its result bounded."""
    passes = getattr(func, "jinja_pass_arg", None)
    skip = 1 if passes is not None else 0

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        value = args[skip] if len(args) > skip else None
        _spend(1 + _size(value))
        if name == "replace" and isinstance(value, str) and len(args) > skip + 2:
            old, new = str(args[skip + 1]), str(args[skip + 2])
            grows = value.count(old) * max(0, len(new) - len(old)) if old else len(new)
            if len(value) + grows > MAX_STRING:
                raise TemplateLimitExceeded(f"replace() would build over {MAX_STRING} characters")
        if name == "join" and len(args) > skip:
            items = list(value) if isinstance(value, Iterable) else []
            sep = args[skip + 1] if len(args) > skip + 1 else kwargs.get("d", "")
            _spend(len(items))
            if len(items) * len(str(sep)) > MAX_STRING:
                raise TemplateLimitExceeded(f"join() would build over {MAX_STRING} characters")
            args = (*args[:skip], items, *args[skip + 1 :])
        return _check_string(func(*args, **kwargs))

    return wrapper


def _guarded(iterable: Iterable[Any]) -> Iterator[Any]:
    for item in iterable:
        _spend(1)
        yield item


def _check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse an operation whose result would be past a bound, before computing it."""
    if operator == "%" and isinstance(left, str):
        raise TemplateLimitExceeded("string formatting with % is not allowed in texts")
    too_big = False
    if operator == "*":
        for seq, n in ((left, right), (right, left)):
            if isinstance(seq, str | list | tuple) and isinstance(n, int):
                too_big |= len(seq) * max(n, 0) > MAX_STRING
        if isinstance(left, int) and isinstance(right, int):
            too_big |= left.bit_length() + right.bit_length() > MAX_INT_BITS
    elif operator == "**" and isinstance(left, int | float) and isinstance(right, int):
        too_big = abs(left) > 1 and right * max(1, int(abs(left)).bit_length()) > MAX_INT_BITS
    if too_big:
        raise TemplateLimitExceeded(
            f"the text builds a value over {MAX_STRING} characters or {MAX_INT_BITS} bits"
        )


class _BoundedCodeGenerator(CodeGenerator):
    """jinja2's code generator with every loop's iterable and every ``~`` guarded."""

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        node.iter = nodes.Call(
            nodes.EnvironmentAttribute("guard_iter"), [node.iter], [], None, None
        ).set_lineno(node.lineno)
        super().visit_For(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.guard_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """See the module docstring."""

    code_generator_class = _BoundedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self) -> None:
        super().__init__(undefined=jinja2.StrictUndefined, autoescape=False)
        self.globals.clear()
        self.globals["range"] = _bounded_range
        self.filters = {
            name: _charged(name, func)
            for name, func in self.filters.items()
            if name in SAFE_FILTERS
        }

    # -------------------------------------------------------------- attribute access

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if not super().is_safe_attribute(obj, attr, value):
            return False
        return not callable(value) or attr in SAFE_METHODS

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        return None  # str.format is not in SAFE_METHODS: refused like any other method

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Mapping) and attribute in obj:
            return obj[attribute]  # contact data stays data, whatever its key
        return super().getattr(obj, attribute)

    # -------------------------------------------------------------- work

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        owner = getattr(__obj, "__self__", None)
        _spend(1 + (_size(owner) if isinstance(owner, str | list | tuple) else 0))
        if isinstance(__obj, LoopContext) and args:  # a recursive loop's next level
            args = (_guarded(args[0]), *args[1:])
        return _check_string(super().call(__context, __obj, *args, **kwargs))

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _spend(1)
        _check_binop(operator, left, right)
        return _check_string(self.binop_table[operator](left, right))

    @staticmethod
    def guard_iter(iterable: Iterable[Any]) -> Iterator[Any]:
        return _guarded(iterable)

    @staticmethod
    def guard_concat(parts: tuple[object, ...]) -> str:
        _spend(1)
        texts = [str(p) for p in parts]
        if sum(len(t) for t in texts) > MAX_STRING:
            raise TemplateLimitExceeded(f"the text builds a value over {MAX_STRING} characters")
        return "".join(texts)


ENV = BoundedEnvironment()


def render(template: jinja2.Template, context: Mapping[str, object]) -> str:
    """Render ``template`` within the bounds; :class:`TemplateLimitExceeded` past them."""
    token = _BUDGET.set(_Budget())
    try:
        out: list[str] = []
        size = 0
        for chunk in template.generate(context):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise TemplateLimitExceeded(f"the text renders over {MAX_OUTPUT} characters")
            out.append(chunk)
        return "".join(out)
    except RecursionError:
        raise TemplateLimitExceeded("the text is nested too deeply") from None
    except MemoryError:
        raise TemplateLimitExceeded("the text needs too much memory") from None
    finally:
        _BUDGET.reset(token)
