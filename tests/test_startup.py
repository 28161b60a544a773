"""What a small call loads, and how the parser loads: from tables generated at build time,
never from a cache in a shared folder (issue "Fast": start in a blink)."""

from __future__ import annotations

import ast
import getpass
import hashlib
import importlib.util
import os
import pickle
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

import lark
import pytest

from gradcli.errors import GradcliSyntaxError
from gradcli.language import _build_tables, parser

HEAVY = ("rich", "rich.console", "rich.table", "graphviz", "importlib.metadata", "numpy", "matplotlib", "plotext",
         "prompt_toolkit")


def loaded_after(*args: str) -> list[str]:
    """Which of HEAVY a fresh process has imported after the command ``gradcli ARGS`` ran."""
    code = (
        "import sys\n"
        "from gradcli.front.cli import cli\n"
        "try:\n"
        f"    cli.main({list(args)!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    loaded: list[str] = ast.literal_eval(done.stderr.strip().splitlines()[-1])
    return loaded


def test_json_path_loads_no_rich_and_no_renderer() -> None:
    assert loaded_after("--set", "x=3", "y = x*2", "--format", "json") == []


def test_table_path_loads_rich_but_no_renderer_or_numpy() -> None:
    assert loaded_after("--set", "x=3", "y = x*2") == ["rich", "rich.console", "rich.table"]


def test_a_session_without_a_terminal_loads_no_line_editor() -> None:
    # gradcli -i reads its standard input (here none: the child's is not a terminal) line by line
    assert "prompt_toolkit" not in loaded_after("-i", "--set", "x=3", "y = x*2")


def test_a_picture_loads_graphviz(tmp_path: Path) -> None:
    assert "graphviz" in loaded_after("--set", "x=3", "y = x*2", "--format", "json", "-g", str(tmp_path / "g.dot"))


def test_an_svg_finds_graphviz_pure_without_reading_package_metadata(tmp_path: Path) -> None:
    # importing importlib.metadata costs more than laying out a small picture
    loaded = loaded_after("--set", "x=3", "y = x*2", "--format", "json", "-g", str(tmp_path / "g.svg"))
    assert "graphviz" in loaded and "importlib.metadata" not in loaded
    assert (tmp_path / "g.svg").read_bytes().startswith(b"<?xml")


ROOT = Path(__file__).resolve().parent.parent
TABLES = f"gradcli.language.{_build_tables.TABLES_MODULE}"


# ----- the parser from generated tables, or built in memory ------------------------------
def grammar() -> bytes:
    return Path(parser.grammar_path()).read_bytes()


def source_env() -> dict[str, str]:
    """The environment for a child process that imports this checkout's gradcli, whatever is installed."""
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))


def load_module(path: Path, name: str = "generated_tables") -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tables_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tables module for the real grammar, made by the build hook's own generator."""
    out = tmp_path_factory.mktemp("tables") / "_lalr_tables.py"
    _build_tables.write_tables(parser.grammar_path(), str(out))
    return out


def use_tables(monkeypatch: pytest.MonkeyPatch, tables: ModuleType | None) -> Iterator[None]:
    """Make ``gradcli.language._lalr_tables`` be ``tables`` (None: absent) for one parser load."""
    monkeypatch.setitem(sys.modules, TABLES, tables)  # None: the import fails
    for cached in (parser._lark, parser._name_pattern, parser._number_pattern):
        cached.cache_clear()
    try:
        yield
    finally:
        monkeypatch.delitem(sys.modules, TABLES)
        for cached in (parser._lark, parser._name_pattern, parser._number_pattern):
            cached.cache_clear()


def from_tables() -> bool:
    return parser._lark().source_path == "<deserialized>"  # lark's mark on a parser loaded from data


PROGRAMS = [
    "x = 3\ny = x*2",
    "a = 2; b = -a**2 + sin(a) / (a - 1)\n\n# a comment\nc = max(a, b) ^ 2 ^ 0.5; c",
    "y = pow(2.5e-3, -x) - -1 + +x",
    "(" * 2_000 + "x" + ")" * 2_000,
    "\n".join(f"v{i} = v{i - 1} * 1.5 + {i}" for i in range(1, 300)),
]
BAD = ["y = 2 +", "x = (1", "f(", "1 2", "y = 2 @ 3", "y = nope(1)", "y = sin(1, 2)", "= 3", "x = 1e999"]


def outcome(source: str) -> object:
    try:
        return list(parser.parse(source).code)
    except Exception as e:  # the error is part of the behaviour: type, message, position
        return type(e).__name__, str(e), getattr(e, "line", None), getattr(e, "column", None)


def outcomes(monkeypatch: pytest.MonkeyPatch, tables: ModuleType | None) -> tuple[bool, list[object]]:
    with monkeypatch.context() as m:
        gen = use_tables(m, tables)
        next(gen)
        try:
            results = [outcome(p) for p in PROGRAMS + BAD]
            results.append((parser.is_name("x_1"), parser.is_atom("-2.5e3"), parser.as_operand("a*b")))
            return from_tables(), results
        finally:
            next(gen, None)


def test_generated_tables_parse_like_the_in_memory_build(monkeypatch: pytest.MonkeyPatch,
                                                          tables_file: Path) -> None:
    used, by_tables = outcomes(monkeypatch, load_module(tables_file))
    built, in_memory = outcomes(monkeypatch, None)
    assert (used, built) == (True, False)
    assert by_tables == in_memory
    assert all(isinstance(r, list) for r in by_tables[: len(PROGRAMS)])  # the good programs parsed


def test_the_generated_tables_are_plain_data_and_reproducible(tables_file: Path) -> None:
    text = tables_file.read_text(encoding="utf-8")
    for node in ast.parse(text).body:  # assignments of literals, nothing else
        if isinstance(node, ast.Assign):
            ast.literal_eval(node.value)
        else:
            assert isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)  # the docstring
    # lark numbers its states as its sets iterate; the generator renumbers them
    code = ("import sys; from gradcli.language import _build_tables, parser; "
            "sys.stdout.write(_build_tables.tables_source(open(parser.grammar_path(), 'rb').read()))")
    for seed in ("1", "2"):
        env = dict(source_env(), PYTHONHASHSEED=seed)
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
        assert done.stdout == text


def stale_tables(tmp_path: Path, field: str) -> ModuleType:
    """Tables of a grammar in which '@@' also means '**', claiming to be something else in ``field``."""
    changed = grammar().replace(b'POW: "**" | "^"', b'POW: "**" | "^" | "@@"')
    assert changed != grammar()
    out = tmp_path / "_lalr_tables.py"
    out.write_text(_build_tables.tables_source(changed), encoding="utf-8")
    module = load_module(out)
    # by default the tables claim today's grammar; ``field`` makes one claim stale
    claims: dict[str, object] = {"GRAMMAR_SHA256": _build_tables.grammar_sha256(grammar())}
    if field == "grammar":
        claims["GRAMMAR_SHA256"] = _build_tables.grammar_sha256(changed)
    elif field == "lark":
        claims["LARK_VERSION"] = "1.0.0" if lark.__version__ != "1.0.0" else "1.0.1"
    elif field == "options":
        claims["OPTIONS"] = dict(_build_tables.LARK_OPTIONS, lexer="contextual")
    for name, claim in claims.items():
        setattr(module, name, claim)
    return module


@pytest.mark.parametrize("field", ["grammar", "lark", "options", "none"])
def test_stale_tables_are_ignored(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, field: str) -> None:
    with monkeypatch.context() as m:
        gen = use_tables(m, stale_tables(tmp_path, field))
        next(gen)
        try:
            if field == "none":  # the control: tables that match are used, '@@' and all
                assert from_tables()
                assert [i.payload.name for i in parser.parse("y = 2 @@ 3").code if i.kind == parser.APPLY] == ["pow"]
            else:
                assert not from_tables()
                with pytest.raises(GradcliSyntaxError):
                    parser.parse("y = 2 @@ 3")
                assert parser.parse("y = 2 ** 3").code
        finally:
            next(gen, None)


def test_no_lark_cache_anywhere_in_the_package() -> None:
    for path in [*sorted((ROOT / "gradcli").glob("*.py")), ROOT / "hatch_build.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                assert not {k.arg for k in node.keywords} & {"cache", "cache_grammar"}, f"{path}:{node.lineno}"
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = {a.name for a in node.names} | {getattr(node, "module", None)}
                assert "pickle" not in names, f"{path}:{node.lineno}"


# ----- a shared temporary folder: nothing written, nothing planted there is opened -------
def lark_cache_names() -> list[str]:
    """The names lark's cache=True used for gradcli's parser (lark.Lark.__init__), and plausible others."""
    text = grammar().decode("utf-8")
    version = lark.__version__
    option_strings = [
        "parserlalrlexerbasiccacheTrue",  # what gradcli passed: the exact name
        "parserlalrlexercontextualcacheTrue",
        "parserlalrcacheTrue",
        "cacheTrueparserlalrlexerbasic",
    ]
    try:
        user = getpass.getuser()
    except Exception:
        user = "unknown"
    pythons = {sys.version_info[:2], *((3, minor) for minor in range(10, 15))}
    names = set()
    for options in option_strings:
        for py in pythons:
            digest = hashlib.sha256((text + options + version + str(py)).encode("utf8")).hexdigest()
            for kind in ("cache", "cache_grammar"):
                for who in {user, "unknown", "root"}:
                    names.add(f".lark_{kind}_{who}_{digest}_{py[0]}_{py[1]}.tmp")
    return sorted(names)


class Plant(NamedTuple):
    folder: Path  # the shared temporary folder
    marker: Path  # appears if a planted pickle is ever loaded
    victim: Path  # a file of the victim's that planted symlinks point to


def plant(tmp_path: Path, kind: str) -> Plant:
    folder, elsewhere = tmp_path / "shared-tmp", tmp_path / "victim"
    folder.mkdir()
    elsewhere.mkdir()
    marker, victim = elsewhere / "pwned", elsewhere / "precious.txt"
    victim.write_bytes(b"the victim's data\n")
    payload = b"0" * 64 + b"\n" + pickle.dumps(Payload(str(marker))) + pickle.dumps(Payload(str(marker)))
    for name in lark_cache_names() if kind != "nothing" else []:
        path = folder / name
        if kind == "pickle":
            path.write_bytes(payload)
        elif kind == "fifo":
            os.mkfifo(path)
        elif kind == "symlink":
            path.symlink_to(victim)
    return Plant(folder, marker, victim)


class Payload:
    """Unpickled, it makes a directory: proof that a planted file was loaded."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.mkdir, (self.path,)


RUN = """
import importlib.util, sys
tables = sys.argv[1]
if tables:  # the installed wheel's case: gradcli.language._lalr_tables exists
    spec = importlib.util.spec_from_file_location("gradcli.language._lalr_tables", tables)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules["gradcli.language._lalr_tables"] = module
else:  # a checkout's case, whatever is installed: no tables
    sys.modules["gradcli.language._lalr_tables"] = None
from gradcli.language import parser
print("tables" if parser._lark().source_path == "<deserialized>" else "in memory", file=sys.stderr, flush=True)
from gradcli.front.cli import main
sys.argv = ["gradcli", "--set", "x=3", "y = x*2", "--format", "json"]
main()
"""


@pytest.mark.parametrize("path", ["in memory", "tables"])
@pytest.mark.parametrize("kind", ["nothing", "pickle", "fifo", "symlink"])
def test_a_shared_temporary_folder_is_never_used(tmp_path: Path, tables_file: Path, kind: str, path: str) -> None:
    planted = plant(tmp_path, kind)
    before = {p.name: (stat.S_IFMT(p.lstat().st_mode), p.lstat().st_size, p.lstat().st_mtime_ns)
              for p in planted.folder.iterdir()}
    env = dict(source_env(), TMPDIR=str(planted.folder), TEMP=str(planted.folder), TMP=str(planted.folder))
    tables = str(tables_file) if path == "tables" else ""
    # a FIFO opened for reading or writing would block: the timeout is the test
    done = subprocess.run([sys.executable, "-c", RUN, tables], capture_output=True, text=True, env=env,
                          timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[0] == path
    assert '"value": 6.0' in done.stdout
    after = {p.name: (stat.S_IFMT(p.lstat().st_mode), p.lstat().st_size, p.lstat().st_mtime_ns)
             for p in planted.folder.iterdir()}
    assert not planted.marker.exists()  # no planted pickle was loaded
    assert planted.victim.read_bytes() == b"the victim's data\n"  # no planted symlink was written through
    assert after == before  # nothing written, removed or replaced there
    assert len(before) == (0 if kind == "nothing" else len(lark_cache_names()))
