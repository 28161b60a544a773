"""What may reach a printed source file besides code: safe comments and safe parameter names.

``views.source`` prints a program's gradient as Python, NumPy, C or
JavaScript. The program's own text (with its comments) is quoted in the
file's header, and its input names become parameters: this module makes
sure neither can do anything else.

- A comment line keeps printable ASCII only; every other character (a newline,
  ``\\r``, U+2028, a control character) and the backslash itself are written as
  escapes (``\\x0a``, ``\\u2028``, ``\\x5c``), so nothing can end the comment
  early, and in C no line ends in a backslash (which would splice the next
  line into the comment). C also escapes ``?`` (``??/`` is a trigraph for a
  backslash in C99). Comments are line comments (``#``, ``//``), so ``*/``
  means nothing.
- A parameter name is the program's name unless the target language reserves
  it (a keyword, a builtin or library name the code uses, a helper of the
  file, or the pattern of the file's temporaries): then ``_`` is appended
  until it is free. Non-ASCII names become an ASCII form (``θ`` -> ``u03b8``)
  in C and JavaScript, and in Python when Python would not keep them apart
  (a name that is not an identifier, or that NFKC normalization changes).
"""

from __future__ import annotations

import builtins
import keyword
import re
import unicodedata

#: the file's temporaries: no parameter may look like one
TEMPORARY = re.compile(r"_t\d+")


def escape(text: str, c: bool = False) -> str:
    """``text`` as printable ASCII that cannot end a line comment (see the module docstring)."""
    out = []
    for ch in text:
        if " " <= ch <= "~" and ch != "\\" and not (c and ch == "?"):
            out.append(ch)
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return "".join(out)


def comment_lines(text: str, prefix: str, c: bool = False) -> list[str]:
    """Each line of ``text`` (only ``\\n`` ends one) as a comment line."""
    return [f"{prefix} {escape(line, c)}".rstrip() for line in text.split("\n")]


def ascii_form(name: str) -> str:
    """``name`` with each non-ASCII character written as u + 4 hex digits (U + 8 past U+FFFF)."""
    return "".join(ch if ord(ch) < 0x80 else f"u{ord(ch):04x}" if ord(ch) < 0x10000 else f"U{ord(ch):08x}"
                   for ch in name)


PYTHON_RESERVED = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins)) | {
    "math", "np", "numpy", "value_and_grad", "_step", "_sign", "_sigmoid", "_relu", "_max", "_min",
    "_shape", "_shaped", "_fresh"}

C_RESERVED = frozenset("""
    auto break case char const continue default do double else enum extern float for goto if inline int long
    register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while
    _Bool _Complex _Imaginary _Alignas _Alignof _Atomic _Generic _Noreturn _Static_assert _Thread_local
    bool true false complex imaginary I alignas alignof noreturn static_assert thread_local asm typeof
    NULL EOF errno main
    exp log sqrt sin cos tan tanh pow fabs
    HUGE_VAL HUGE_VALF HUGE_VALL INFINITY NAN FP_INFINITE FP_NAN FP_NORMAL FP_SUBNORMAL FP_ZERO
    FP_FAST_FMA FP_FAST_FMAF FP_FAST_FMAL FP_ILOGB0 FP_ILOGBNAN MATH_ERRNO MATH_ERREXCEPT math_errhandling
    fpclassify isfinite isinf isnan isnormal signbit isgreater isgreaterequal isless islessequal
    islessgreater isunordered DOMAIN SING OVERFLOW UNDERFLOW TLOSS PLOSS
    M_E M_LOG2E M_LOG10E M_LN2 M_LN10 M_PI M_PI_2 M_PI_4 M_1_PI M_2_PI M_2_SQRTPI M_SQRT2 M_SQRT1_2
    value_and_grad grad hess gc_step gc_sign gc_sigmoid gc_relu gc_max gc_min
""".split())

JS_RESERVED = frozenset("""
    break case catch class const continue debugger default delete do else enum export extends false finally
    for function if import in instanceof new null return super switch this throw true try typeof var void
    while with yield let static implements interface package private protected public await async of
    undefined NaN Infinity eval arguments Math Object Array Number globalThis
    valueAndGrad gc_step gc_sign gc_sigmoid gc_relu gc_max gc_min
""".split())


def _python_safe(name: str) -> bool:
    return name.isidentifier() and unicodedata.normalize("NFKC", name) == name


def parameters(inputs: list[str], language: str, also: frozenset[str] = frozenset()
               ) -> tuple[list[str], list[tuple[str, str]]]:
    """Each input's parameter name in ``language`` ('python', 'numpy', 'c', 'javascript'), and the renames.

    ``also``: more names the file uses (the Jacobian's C parameters ``value`` and ``jacobian``).
    """
    python = language in ("python", "numpy")
    reserved = (PYTHON_RESERVED if python else C_RESERVED if language == "c" else JS_RESERVED) | also
    originals = set(inputs)
    taken: set[str] = set()
    names: list[str] = []
    renamed: list[tuple[str, str]] = []
    for name in inputs:
        new = name
        if not name.isascii() and not (python and _python_safe(name)):
            new = ascii_form(name)
        if language == "c" and re.match(r"_[A-Z_]", new):
            new = "v" + new  # reserved for the implementation in C
        while new in reserved or TEMPORARY.fullmatch(new) or new in taken or (new != name and new in originals):
            new += "_"
        taken.add(new)
        names.append(new)
        if new != name:
            renamed.append((name, new))
    return names, renamed
