"""Pictures: DOT labels and edges, escaping, SVG and PNG from both renderers (graphviz-pure
and the system dot), which one draws what, atomic writes; renderer children that die with
gradcli or at a timeout, one line on why a renderer failed, folding."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Callable

import pytest

from gradcli import Value, evaluate
from gradcli.errors import GradcliError
from gradcli.views.drawing import (
    NSLIMIT,
    TIDY_NODES,
    GraphError,
    digraph,
    picture,
    picture_format,
    record_escape,
    render,
)

SEED = "a = 2; b = a + 3; c = a * 2; d = b + c"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
RENDERERS = ["embedded"] + (["dot"] if shutil.which("dot") else [])


def seed_dot() -> str:
    r = evaluate(SEED)
    return digraph(r.nodes, r.output).source


@pytest.mark.parametrize("rankdir, row", [("LR", "{{ {} }}"), ("TB", "{}")])
def test_records_hold_label_data_and_grad_in_a_row_either_way(rankdir: str, row: str) -> None:
    # a record's top-level fields run across the ranks: braces turn them back into a row left to right
    r = evaluate(SEED)
    source = digraph(r.nodes, r.output, rankdir=rankdir).source
    for label in ["a | data 2.0000 | grad 3.0000", "3 | data 3.0000 | grad 1.0000",
                  "b | data 5.0000 | grad 1.0000", "d | data 9.0000 | grad 1.0000"]:
        assert f'label="{row.format(label)}"' in source
    assert source.count("shape=record") == 6
    assert source.count("shape=circle") == 3  # one op node per op
    assert f"rankdir={rankdir}" in source


def test_edge_counts() -> None:
    source = seed_dot()
    arrows = [line.strip() for line in source.splitlines() if "->" in line]
    # 3 ops with 2 inputs each, plus one edge from each op node to its record
    assert len(arrows) == 3 * 2 + 3
    assert "n0 -> n2op" in arrows and "n0 -> n4op" in arrows


def test_reused_input_gets_two_edges() -> None:
    r = evaluate("a = 2; b = a + a")
    arrows = [line.strip() for line in digraph(r.nodes, r.output).source.splitlines() if "->" in line]
    assert arrows.count("n0 -> n1op") == 2


def test_dot_is_deterministic_and_works_for_python_values() -> None:
    assert seed_dot() == seed_dot()
    x = Value(3.0, label="x")
    y = (x * 2).tanh()
    y.backward()
    from gradcli import topological_order

    assert "{ x | data 3.0000 | grad" in digraph(topological_order(y), y, rankdir="LR").source


def test_record_escape_neutralises_every_special_character() -> None:
    assert record_escape('a{b}c|d<e>f"g\\h') == 'a\\{b\\}c\\|d\\<e\\>f\\"g\\\\h'
    x = Value(1.0, label='{evil|"label"<x>\\')
    source = digraph([x]).source
    assert '\\{evil\\|\\"label\\"\\<x\\>\\\\ |' in source


def parse_svg(data: bytes) -> ET.Element:
    root = ET.fromstring(data)
    assert root.tag.endswith("svg")
    return root


def svg_texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter() if t.tag.endswith("text")]


@needs_dot
def test_svg_from_system_dot() -> None:
    texts = svg_texts(parse_svg(render(seed_dot(), "svg", renderer="dot")))
    assert "grad 3.0000" in texts and "data 9.0000" in texts


def test_svg_from_embedded_renderer() -> None:
    texts = svg_texts(parse_svg(render(seed_dot(), "svg", renderer="embedded")))
    assert "grad 3.0000" in texts and "data 9.0000" in texts


def test_escaped_labels_render_in_both_renderers() -> None:
    source = digraph([Value(1.0, label='{a|b}<c>"d"\\')]).source
    renderers = ["embedded"] + (["dot"] if shutil.which("dot") else [])
    for renderer in renderers:
        assert '{a|b}<c>"d"\\' in svg_texts(parse_svg(render(source, "svg", renderer=renderer)))


@needs_dot
def test_png_and_pdf_from_system_dot() -> None:
    assert render(seed_dot(), "png", renderer="dot").startswith(b"\x89PNG")
    assert render(seed_dot(), "pdf", renderer="dot").startswith(b"%PDF")


def png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and png[12:16] == b"IHDR"
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def test_png_from_embedded_renderer_is_the_svg_at_96_pixels_an_inch() -> None:
    source = seed_dot()
    width, height = png_size(render(source, "png", renderer="embedded"))
    points = svg_size(render(source, "svg", renderer="embedded"))
    assert (width, height) == tuple(round(p * 96 / 72) for p in points), (width, height, points)


def test_pdf_without_dot_says_what_it_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(GraphError) as caught:
        render(seed_dot(), "pdf", renderer="embedded")  # graphviz-pure writes no PDF
    assert caught.value.message == "PDF pictures need Graphviz installed (the dot program); SVG and PNG work without it"
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(GraphError, match="^PDF pictures need Graphviz installed"):
        render(seed_dot(), "pdf")


def test_auto_draws_svg_and_png_with_graphviz_pure_even_beside_dot(monkeypatch: pytest.MonkeyPatch) -> None:
    assert b"(graphviz-pure)" in render(seed_dot(), "svg")[:400]  # its SVG says what generated it
    monkeypatch.setenv("PATH", "/nonexistent")  # nor does it need to be on PATH
    assert b"(graphviz-pure)" in render(seed_dot(), "svg")[:400]
    png_size(render(seed_dot(), "png"))


@needs_dot
def test_auto_draws_pdf_and_everything_without_graphviz_pure_with_dot(monkeypatch: pytest.MonkeyPatch) -> None:
    assert render(seed_dot(), "pdf").startswith(b"%PDF")
    monkeypatch.setattr("gradcli.views.drawing.embedded_program", lambda: None)
    assert b"Generated by graphviz version" in render(seed_dot(), "svg")[:400]
    assert b"(graphviz-pure)" not in render(seed_dot(), "svg")[:400]


def test_no_renderer_at_all_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("gradcli.views.drawing.embedded_program", lambda: None)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(GraphError) as caught:
        render(seed_dot(), "svg")
    assert caught.value.message == (
        "graphviz-pure is not installed (pip install graphviz-pure), and Graphviz's dot program is not on PATH")
    with pytest.raises(GraphError, match="^Graphviz's dot program is not on PATH$"):
        render(seed_dot(), "svg", renderer="dot")
    with pytest.raises(ValueError, match="renderer"):
        render(seed_dot(), "svg", renderer="wasm")


def test_graphviz_pure_is_found_where_pip_put_it() -> None:
    import sysconfig

    from gradcli.views.drawing import embedded_program

    assert embedded_program() == os.path.join(sysconfig.get_path("scripts"), "graphviz-pure")


@needs_dot
def test_both_renderers_draw_the_neuron_alike() -> None:
    # the same records, op nodes and edge labels, each node on the same rank (row) in both
    r = evaluate((Path(__file__).parent.parent / "examples" / "neuron.grad").read_text(encoding="utf-8"))
    drawn = [parse_svg(render(digraph(r.nodes, r.output).source, "svg", renderer=k)) for k in ("embedded", "dot")]
    assert sorted(svg_texts(drawn[0])) == sorted(svg_texts(drawn[1]))
    assert "data 0.7071" in svg_texts(drawn[0]) and "grad -1.5000" in svg_texts(drawn[0])
    assert ranks(drawn[0]) == ranks(drawn[1])


def ranks(root: ET.Element) -> dict[str, int]:
    """Each node's row, counted from the top, by its first text's y."""
    ys = {}
    for group in root.iter():
        if group.get("class") == "node":
            title = next(t.text for t in group.iter() if t.tag.endswith("title")) or ""
            ys[title] = round(float(next(t for t in group.iter() if t.tag.endswith("text")).get("y", 0)))
    rows = sorted(set(ys.values()))
    return {title: rows.index(y) for title, y in ys.items()}


def test_clusters_and_edge_labels_through_graphviz_pure() -> None:
    # as a user-function call would be drawn: a dashed, labelled box around its nodes
    r = evaluate("a = 2; b = 3; d = a / b")
    source = digraph(r.nodes, r.output).source.replace(
        "\tn0 ", '\tsubgraph cluster_f { label="f(a, b)" style=dashed n0 n1 }\n\tn0 ', 1)
    root = parse_svg(render(source, "svg", renderer="embedded"))
    clusters = [g for g in root.iter() if g.get("class") == "cluster"]
    assert len(clusters) == 1 and "f(a, b)" in svg_texts(clusters[0])
    assert {" dividend", " divisor"} <= set(svg_texts(root))


def test_formats_from_extension() -> None:
    assert [picture_format(p) for p in ["g.svg", "g.PNG", "g.pdf", "g.dot", "g.gv"]] == ["svg", "png", "pdf", "dot", "dot"]
    with pytest.raises(GradcliError, match="unknown picture format '.jpg'"):
        picture_format("g.jpg")
    with pytest.raises(GradcliError, match="unknown picture format ''"):
        picture_format("graph")


WIDE = "x = 1\n" + "\n".join(f"y{i} = sin(x) * {i} + x" for i in range(40)) + "\nz = " + " + ".join(f"y{i}" for i in range(40))


def test_small_graph_is_drawn_whole() -> None:
    r = evaluate(SEED)
    assert picture(r, "svg").source == digraph(r.nodes, r.output).source


def test_over_budget_folds_unnamed_values_into_dashed_edges() -> None:
    r = evaluate(WIDE)
    assert len(r.nodes) == 200
    source = picture(r, "svg", max_nodes=100).source
    records = [line for line in source.splitlines() if "shape=record" in line]
    assert len(records) == 42  # x, y0..y39, z
    dashed = [line for line in source.splitlines() if "style=dashed" in line]
    assert len(dashed) == 40 + 40  # x -> each y, each y -> z
    assert f"{len(r.nodes) - 42:,} unnamed values folded into the dashed edges" in source
    assert "n0 -> n1 [style=dashed]" in source


def long_range_program(values: int) -> str:
    # a chain where one value in ten also uses a value from far back: the shape whose
    # layout Graphviz's node placement makes slow
    lines = ["v0 = 0.5"]
    for i in range(1, values):
        lines.append(f"v{i} = v{i - 1} * v{(i * 7) % (i - 9)}" if i % 10 == 0 and i > 10 else f"v{i} = tanh(v{i - 1})")
    return "\n".join(lines)


def test_big_pictures_bound_node_placement_small_ones_do_not() -> None:
    small, big = evaluate(SEED), evaluate(long_range_program(300))
    assert "nslimit" not in digraph(small.nodes, small.output).source
    assert len(big.nodes) > TIDY_NODES and f"nslimit={NSLIMIT}" in digraph(big.nodes, big.output).source


@pytest.mark.parametrize("renderer", RENDERERS)
def test_big_long_range_picture_has_every_value(renderer: str) -> None:
    r = evaluate(long_range_program(300))
    texts = svg_texts(parse_svg(render(picture(r, "svg").source, "svg", renderer=renderer)))
    assert all(f"v{i}" in texts for i in range(300))


def test_dot_files_are_never_folded() -> None:
    r = evaluate(WIDE)
    assert picture(r, "dot", max_nodes=10).source == digraph(r.nodes, r.output).source


def test_too_many_named_values_is_an_error_that_says_what_to_do() -> None:
    with pytest.raises(GradcliError, match=r"raise --max-nodes, or write a \.dot file"):
        picture(evaluate(WIDE), "svg", max_nodes=10)


def test_embedded_render_stops_at_the_timeout() -> None:
    started = time.monotonic()
    with pytest.raises(GraphError) as caught:
        render(slow_dag(), "svg", renderer="embedded", timeout=0.5)  # its layout takes far longer
    assert caught.value.message == "graphviz-pure took longer than 0.5 s to lay out the graph"
    assert time.monotonic() - started < 30  # stopped, not waited for


@needs_dot
def test_system_render_stops_at_the_timeout() -> None:
    source = picture(evaluate(WIDE), "svg").source
    with pytest.raises(GraphError, match="took longer than 0.01 s"):
        render(source, "svg", renderer="dot", timeout=0.01)




# --- renderer children die with gradcli ---------------------------------------------

on_linux = pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG and /proc are Linux's")


def slow_dag(values: int = 1500, seed: int = 7) -> str:
    """DOT of a random DAG with long-range edges and unlimited node placement: many seconds to lay out."""
    rng = random.Random(seed)
    edges = [f"n{rng.randrange(i)} -> n{i}" for i in range(1, values) for _ in range(2)]
    return "digraph { nslimit=1000000; " + "; ".join(edges) + " }"


# the CLI turns SIGTERM into SystemExit in the main thread; "default" leaves SIGTERM's default action
DRIVER = """
import signal, sys
from gradcli.views import drawing
if sys.argv[2] == "exit":
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
drawing.render(open(sys.argv[3]).read(), "svg", renderer=sys.argv[1], timeout=300)
"""


def proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first), or None when gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        stat = proc_stat(int(entry)) if entry.isdigit() else None
        if stat and int(stat[1]) == pid:
            found.append(int(entry))
    return found


def running(pid: int) -> bool:
    stat = proc_stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")  # a zombie has stopped working and freed its memory


def wait_until(condition: Callable[[], object], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())


@on_linux
@pytest.mark.parametrize("renderer", ["dot", "embedded"])
@pytest.mark.parametrize(
    "how, sig",
    [("exit", signal.SIGTERM), ("default", signal.SIGTERM), ("exit", signal.SIGINT), ("exit", signal.SIGKILL)],
    ids=["sigterm-as-systemexit", "sigterm-default-action", "sigint-keyboardinterrupt", "sigkill"],
)
def test_renderer_child_dies_with_gradcli(tmp_path: Path, renderer: str, how: str, sig: int) -> None:
    if renderer == "dot" and shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    (tmp_path / "slow.dot").write_text(slow_dag())
    (tmp_path / "driver.py").write_text(DRIVER)
    driver = subprocess.Popen([sys.executable, str(tmp_path / "driver.py"), renderer, how, str(tmp_path / "slow.dot")],
                              stderr=subprocess.DEVNULL)
    kids: list[int] = []
    try:
        assert wait_until(lambda: kids.extend(children_of(driver.pid)) or kids, 30), "no renderer child started"
        time.sleep(0.5)  # well into the layout (it takes far longer than the whole test)
        assert all(running(k) for k in kids) and driver.poll() is None
        os.kill(driver.pid, sig)
        driver.wait(timeout=10)
        assert wait_until(lambda: not any(running(k) for k in kids), 2.0), f"{renderer} outlived gradcli"
    finally:
        for pid in [driver.pid] + kids:  # only what this test started
            if running(pid):
                os.kill(pid, signal.SIGKILL)
        driver.wait()


@on_linux
def test_child_whose_parent_already_died_kills_itself() -> None:
    # the race: the parent dies between fork and prctl, so no death signal would ever come
    code = "from gradcli.views.drawing import _die_with_parent; _die_with_parent(1 if __import__('os').getppid() != 1 else 2); print('alive')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert done.returncode == -signal.SIGKILL and "alive" not in done.stdout


@on_linux
def test_child_asks_for_sigkill_when_its_parent_dies() -> None:
    code = ("import ctypes, os; from gradcli.views.drawing import _die_with_parent; _die_with_parent(os.getppid());"
            " v = ctypes.c_int(); ctypes.CDLL(None).prctl(2, ctypes.byref(v), 0, 0, 0); print(v.value)")  # 2: PR_GET_PDEATHSIG
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert done.stdout.split() == [str(int(signal.SIGKILL))]


# --- a renderer that fails says why, in one line -----------------------------------------


@pytest.mark.parametrize("renderer", RENDERERS)
def test_a_syntax_error_says_which_renderer_and_why(renderer: str) -> None:
    name = {"embedded": "graphviz-pure", "dot": "Graphviz's dot"}[renderer]
    with pytest.raises(GraphError) as caught:
        render("digraph { this is not dot", "svg", renderer=renderer)
    assert caught.value.message.startswith(f"{name} failed: Error: <stdin>: syntax error in line 1")


def test_graphviz_pure_draws_what_ran_webassembly_out_of_stack() -> None:
    # a very deep chain and a deeply nested record (the WebAssembly Graphviz ran out of stack)
    chain_source = "digraph {" + ";".join(f"n{i} -> n{i + 1}" for i in range(5000)) + "}"
    record = 'digraph { a [shape=record, label="' + "{" * 5000 + "x" + "}" * 5000 + '"] }'
    assert "n5000" in svg_texts(parse_svg(render(chain_source, "svg", renderer="embedded")))
    assert svg_texts(parse_svg(render(record, "svg", renderer="embedded"))) == ["x"]


def test_renderer_killed_says_how(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # as the kernel's out-of-memory killer would
    killed = tmp_path / "graphviz-pure"
    killed.write_text("#!/bin/sh\nkill -9 $$\n")
    killed.chmod(0o755)
    monkeypatch.setattr("gradcli.views.drawing.embedded_program", lambda: str(killed))
    with pytest.raises(GraphError) as caught:
        render(seed_dot(), "svg", renderer="embedded")
    assert caught.value.message == (
        "graphviz-pure failed: its process was killed by SIGKILL (the system may have run out of memory)")


PANIC = b"thread 'main' panicked at crates/graphviz-pure-core/src/rank.rs:41:9:\nindex out of bounds\nnote: run with"


@pytest.mark.parametrize("stderr, code, reason", [
    (b"Warning: Warning: no hard-coded metrics for 'X'\nError: <stdin>: syntax error in line 2\n", 1,
     "Error: <stdin>: syntax error in line 2"),  # the error, past the warnings
    (b"memory allocation of 36872448484 bytes failed\nstack backtrace:\n   0: std::alloc::rust_oom\n", -6,
     "memory allocation of 36872448484 bytes failed"),
    (PANIC, 101, "it panicked: index out of bounds"),
    (b"", -9, "its process was killed by SIGKILL (the system may have run out of memory)"),
    (b"\n  \n", 3, "its process exited with code 3"),  # nothing said: still a reason
])
def test_failure_reason_is_one_line_never_empty(stderr: bytes, code: int, reason: str) -> None:
    from gradcli.views.drawing import failure_reason

    assert failure_reason(stderr, code) == reason


# --- folding stays linear in the graph and bounded --------------------------------------


def folded_reference(nodes: list[Value], named: list[Value]) -> set[tuple[int, int]]:
    """The folded edges by brute force: walk back from each named value through unnamed ones."""
    index = {v: i for i, v in enumerate(named)}
    edges = set()
    for v in named:
        seen: set[Value] = set()
        stack = list(v.inputs)
        while stack:
            u = stack.pop()
            if u in index:
                edges.add((index[u], index[v]))
            elif u not in seen:
                seen.add(u)
                stack.extend(u.inputs)
    return edges


def random_program(seed: int, statements: int = 60) -> str:
    # named values mixed with unnamed sub-expressions, constants and reuse of old values
    rng = random.Random(seed)
    lines = ["a = 0.5", "b = 0.25"]
    names = ["a", "b"]
    for i in range(statements):
        pick = lambda: rng.choice(names + ["1", "2"])  # noqa: E731
        expr = f"tanh({pick()} * {pick()}) + {pick()} - {pick()} * ({pick()} + {pick()})"
        lines.append(f"v{i} = {expr}")
        names.append(f"v{i}")
    return "\n".join(lines)


@pytest.mark.parametrize("seed", range(8))
def test_folded_edges_match_a_walk_back_on_random_programs(seed: int) -> None:
    from gradcli.views.drawing import _named, folded_edges

    r = evaluate(random_program(seed))
    named = _named(r)
    edges = folded_edges(r.nodes, named)
    assert len(edges) == len(set(edges))  # no duplicates
    assert set(edges) == folded_reference(r.nodes, named)


def peak_bytes(work: Callable[[], object]) -> int:
    import tracemalloc

    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_sixteen_thousand_inputs_summed_fold_in_little_memory() -> None:
    # the reported case: 5 GB when every partial sum kept a dict of all inputs before it
    from gradcli.views.drawing import _named, folded_digraph, folded_edges

    r = evaluate("\n".join(f"x{i} = 1" for i in range(16000)) + "\ny = " + " + ".join(f"x{i}" for i in range(16000)))
    named = _named(r)
    assert len(named) == 16001
    edges: list[tuple[int, int]] = []
    assert peak_bytes(lambda: edges.extend(folded_edges(r.nodes, named))) < 16_000_000  # the old way: gigabytes
    assert edges == [(i, 16000) for i in range(16000)]
    assert folded_digraph(r, named, max_nodes=16001).source.count("style=dashed") == 16000


def test_long_unnamed_chain_shared_by_many_named_values_folds_in_little_memory() -> None:
    # one input through 5,000 unnamed steps whose end 300 named values use (a walk back from
    # each named value would cross the chain 300 times; copied dicts would be kept 5,000 times)
    from gradcli import topological_order
    from gradcli.views.drawing import folded_edges

    x = Value(0.5, label="x")
    end = x
    for _ in range(5000):
        end = end.tanh()
    ys = [end * i for i in range(300)]
    total = ys[0]
    for y in ys[1:]:
        total = total + y
    nodes, named = topological_order(total), [x] + ys
    edges: list[tuple[int, int]] = []
    assert peak_bytes(lambda: edges.extend(folded_edges(nodes, named))) < 4_000_000
    assert edges == [(0, j) for j in range(1, 301)]
    assert set(edges) == folded_reference(nodes, named)


def dense_dag(layers: int, width: int) -> str:
    # every named value is an unnamed sum of the whole layer before it: width x width edges a layer
    lines = [f"a0_{j} = {j}" for j in range(width)]
    for k in range(1, layers):
        lines += [f"a{k}_{j} = " + " + ".join(f"a{k - 1}_{i}" for i in range(width)) for j in range(width)]
    return "\n".join(lines)


def test_folded_edges_over_budget_are_an_error_naming_max_nodes() -> None:
    r = evaluate(dense_dag(10, 40))  # 400 named values, 14,400 folded edges
    assert len(r.nodes) > 500
    with pytest.raises(GradcliError) as caught:
        picture(r, "svg")
    assert caught.value.exit_code == 2
    assert "more than 2,000 edges" in caught.value.message and "raise --max-nodes" in caught.value.message
    # a bigger budget draws it: 4 edges per value of --max-nodes
    assert picture(r, "svg", max_nodes=3900).source.count("style=dashed") == 9 * 40 * 40


def test_folded_edges_budget_is_checked_before_the_edges_are_listed() -> None:
    from gradcli.views.drawing import _named, folded_edges

    r = evaluate(dense_dag(3, 60))  # 7,200 edges
    named = _named(r)
    with pytest.raises(GradcliError, match="more than 100 edges"):
        folded_edges(r.nodes, named, max_edges=100)
    assert len(folded_edges(r.nodes, named, max_edges=7200)) == 7200


def test_folded_edges_budget_through_the_cli(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from gradcli.front.cli import cli

    out = tmp_path / "g.dot.svg"
    result = CliRunner().invoke(cli, [dense_dag(10, 40), "--graph", str(out)])
    assert result.exit_code == 2 and not out.exists()
    assert "error: --graph: even folded" in result.output and "--max-nodes" in result.output


# --- direction, wrapping, named operands, a PNG scaled down -------------------------------


def chain(steps: int) -> str:
    return "x0 = 0.5\n" + "\n".join(f"x{i} = tanh(x{i - 1})" for i in range(1, steps + 1))


def fan(width: int) -> str:
    return "x = 1\n" + "\n".join(f"y{i} = x * {i}" for i in range(1, width + 1))


def rankdir_of(source: str) -> str:
    import re

    return re.search(r"rankdir=(\w+)", source).group(1)  # type: ignore[union-attr]


def svg_size(svg: bytes) -> tuple[float, float]:
    root = parse_svg(svg)
    return float(root.get("width", "").removesuffix("pt")), float(root.get("height", "").removesuffix("pt"))


@pytest.mark.parametrize("renderer", RENDERERS)
def test_deep_chain_runs_down_a_wide_graph_across(renderer: str) -> None:
    deep, wide = evaluate(chain(12)), evaluate(fan(12))
    deep_dot, wide_dot = digraph(deep.nodes, deep.output).source, digraph(wide.nodes, wide.output).source
    assert (rankdir_of(deep_dot), rankdir_of(wide_dot)) == ("TB", "LR")
    # and the pictures come out taller than wide, as each is drawn the other way would be far worse
    for source in (deep_dot, wide_dot):
        width, height = svg_size(render(source, "svg", renderer=renderer))
        assert 0.3 < width / height < 3, (rankdir_of(source), width, height)


@pytest.mark.parametrize("renderer", RENDERERS)
def test_rankdir_overrides_the_shape(renderer: str) -> None:
    r = evaluate(chain(12))
    across = digraph(r.nodes, r.output, rankdir="LR").source
    assert rankdir_of(across) == "LR" and rankdir_of(picture(r, "svg", rankdir="LR").source) == "LR"
    assert '"{ x12 | data ' in across  # braces keep the record a row when the ranks run across
    for rankdir in ("LR", "TB"):  # unwrapped, each is a strip along its direction
        width, height = svg_size(render(digraph(r.nodes, r.output, rankdir=rankdir, wrap=False).source, "svg",
                                        renderer=renderer))
        assert (width > 5 * height) if rankdir == "LR" else (height > 5 * width), (rankdir, width, height)
    with pytest.raises(ValueError, match="rankdir"):
        digraph(r.nodes, r.output, rankdir="BT")


def test_direction_estimates_from_ranks_and_sizes() -> None:
    from gradcli.views.layout import direction, ranks, sizes

    # a -> op -> b, with a constant c feeding the op: c sits just before its user, not at rank 0
    assert ranks(4, [(0, 1), (1, 2), (2, 3), (0, 3)]) == [0, 1, 2, 3]
    assert ranks(4, [(0, 1), (1, 2), (3, 2)]) == [0, 1, 2, 1]
    box = (100.0, 36.0)
    line = [(i, i + 1) for i in range(9)]
    assert sizes([box] * 10, ranks(10, line))["LR"] == (10 * 100 + 9 * 36, 36)
    assert sizes([box] * 10, ranks(10, line))["TB"] == (100, 10 * 36 + 9 * 36)
    assert direction([box] * 10, line) == "TB" and direction([box] * 10, []) == "LR"


OPERANDS = "a = 7; b = 2; s = a - b; q = a / b; p = a ** b; r = b - a; m = max(b, a)"
#: (tail, head op): the name on the edge, as OPERANDS computes them (a is n0, b is n1)
NAMED_EDGES = {("n0", "n2op"): "minuend", ("n1", "n2op"): "subtrahend",
               ("n0", "n3op"): "dividend", ("n1", "n3op"): "divisor",
               ("n0", "n4op"): "base", ("n1", "n4op"): "exponent",
               ("n1", "n5op"): "minuend", ("n0", "n5op"): "subtrahend",
               ("n1", "n6op"): "first", ("n0", "n6op"): "second"}


def test_operands_are_named_on_their_edges_in_the_dot() -> None:
    r = evaluate(OPERANDS)
    source = digraph(r.nodes, r.output).source
    labelled = {tuple(line.split(" [")[0].strip().split(" -> ")): line.split('label=" ')[1].split('"')[0]
                for line in source.splitlines() if "->" in line and "label=" in line}
    assert labelled == NAMED_EDGES
    assert [op for op in ("-", "/", "**") if f'label="{op}"' in source] == ["-", "/", "**"]


@pytest.mark.parametrize("renderer", RENDERERS)
def test_operands_are_named_on_their_edges_in_the_svg(renderer: str) -> None:
    r = evaluate(OPERANDS)
    root = parse_svg(render(digraph(r.nodes, r.output).source, "svg", renderer=renderer))
    named = {}
    for group in root.iter():
        if group.get("class") == "edge":
            title = next(t.text for t in group.iter() if t.tag.endswith("title"))
            words = [t.text.strip() for t in group.iter() if t.tag.endswith("text") and t.text]
            if words:
                named[tuple((title or "").replace("&#45;", "-").split("->"))] = words[0]
    assert named == NAMED_EDGES


def test_op_nodes_are_as_readable_as_the_records() -> None:
    r = evaluate("x = 1; y = sigmoid(x) / x")
    source = digraph(r.nodes, r.output).source
    ops = [line for line in source.splitlines() if "op [" in line and "->" not in line]
    assert len(ops) == 2 and all("fontsize=14" in line for line in ops)
    assert "shape=ellipse" in ops[0] and "shape=circle" in ops[1]  # a name gets room, a symbol a circle


def test_a_long_chain_wraps_into_bands_side_by_side() -> None:
    import re

    r = evaluate(chain(200))
    source = digraph(r.nodes, r.output).source
    # each band after the first starts from a dashed box naming the value the band before ended with
    stand_ins = re.findall(r"\t(n\d+)to(n\d+op) \[label=(\w+) shape=box style=\"dashed,rounded\"\]", source)
    assert rankdir_of(source) == "TB" and 8 <= len(stand_ins) <= 16
    for tail, head, label in stand_ins:
        assert f"\t{tail}to{head} -> {head}\n" in source and f"\t{tail} -> {head}" not in source
        assert label == f"x{int(tail[1:])}" and int(head[1:-2]) == int(tail[1:]) + 1  # it feeds the next step
    unwrapped = digraph(r.nodes, r.output, wrap=False).source
    assert "dashed,rounded" not in unwrapped and "dashed,rounded" not in seed_dot()
    # the same records and op nodes, the same edges save the cut ones
    node_lines = lambda src: sorted(line for line in src.splitlines() if "[label=" in line and "to" not in line)  # noqa: E731
    assert node_lines(source) == node_lines(unwrapped)


def test_a_graph_that_is_no_chain_is_not_wrapped() -> None:
    # two chains that feed each other: dot would stagger and tangle the bands
    both = "a0 = 0.5\nb0 = 0.3\n" + "\n".join(f"a{i} = tanh(a{i - 1}) + b{i - 1}\nb{i} = sin(b{i - 1}) - a{i - 1}"
                                                for i in range(1, 61))
    r = evaluate(both)
    assert "dashed,rounded" not in digraph(r.nodes, r.output).source


def band_positions(svg: bytes, rankdir: str) -> list[float]:
    """Where each dashed stand-in is, along the bands (x for TB, y for LR), by the step it feeds."""
    found = {}
    for group in parse_svg(svg).iter():
        if group.get("class") == "node":
            title = next(t.text for t in group.iter() if t.tag.endswith("title")) or ""
            if "to" in title:
                text = next(t for t in group.iter() if t.tag.endswith("text"))
                found[int(title.split("to")[1][1:-2])] = float(text.get("x" if rankdir == "TB" else "y", 0))
    return [found[k] for k in sorted(found)]


@pytest.mark.parametrize("renderer", RENDERERS)
@pytest.mark.parametrize("rankdir", ["TB", "LR"])
def test_a_wrapped_chain_reads_in_order_and_has_a_reasonable_shape(renderer: str, rankdir: str) -> None:
    r = evaluate(chain(200))
    svg = render(digraph(r.nodes, r.output, rankdir=rankdir).source, "svg", renderer=renderer)
    width, height = svg_size(svg)
    assert 0.5 < width / height < 3 and max(width, height) < 4000  # unwrapped: 264 x 29,045 pt; 72,074 x 45
    positions = band_positions(svg, rankdir)  # columns left to right (TB), rows top to bottom (LR)
    assert len(positions) >= 8 and positions == sorted(positions)
    assert all(f"x{i}" in svg_texts(parse_svg(svg)) for i in range(201))


def png_header(width: int, height: int) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + width.to_bytes(4, "big") + height.to_bytes(4, "big")


def test_scaled_down_says_the_size_the_limit_and_what_to_do() -> None:
    from gradcli.views.drawing import scaled_down

    said = b"dot: graph is too large for cairo-renderer bitmaps. Scaling by 0.5 to fit\n"
    assert scaled_down(png_header(32767, 20), said) == (
        "the picture would be 65,534×40 px, over Graphviz's limit of 32,767 px a side: it was scaled down to 50%"
        " (32,767×20 px); try --rankdir, a lower --max-nodes, or an .svg")
    assert scaled_down(png_header(300, 200), b"") is None
    assert scaled_down(b"%PDF-1.5", said) is None


@needs_dot
def test_png_over_the_limit_is_scaled_and_said_once() -> None:
    told: list[str] = []
    source = 'digraph { a [shape=box width=600 label="wide"] }'  # 600 in: 57,600 px at 96 per inch
    png = render(source, "png", renderer="dot", warn=told.append)
    assert png.startswith(b"\x89PNG") and int.from_bytes(png[16:20], "big") <= 32767
    assert len(told) == 1 and "over Graphviz's limit of 32,767 px" in told[0] and "--rankdir" in told[0]
    quiet: list[str] = []
    render(seed_dot(), "png", renderer="dot", warn=quiet.append)
    assert quiet == []


@needs_dot
def test_cli_warns_on_standard_error_when_a_png_is_scaled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from click.testing import CliRunner

    from gradcli.front.cli import cli

    monkeypatch.setattr("gradcli.views.drawing.embedded_program", lambda: None)  # dot draws it
    out = tmp_path / "g.png"
    # 480 values that use x: too wide to wrap, 481 records stacked left to right
    done = CliRunner().invoke(cli, [fan(480), "-g", str(out), "--format", "json"])
    assert done.exit_code == 0 and out.read_bytes().startswith(b"\x89PNG")
    assert json.loads(done.stdout)["output"] == "y480"  # the answer is whole on standard output
    assert done.stderr.startswith(f"warning: --graph {out}: the picture would be ")
    assert done.stderr.count("\n") == 1 and "limit of 32,767 px" in done.stderr and "--rankdir" in done.stderr


def test_graphviz_pure_draws_a_png_over_dots_limit_whole(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from gradcli.front.cli import cli

    out = tmp_path / "g.png"
    done = CliRunner().invoke(cli, [fan(480), "-g", str(out), "--format", "json"])
    assert done.exit_code == 0 and done.stderr == ""  # nothing scaled, nothing to say
    width, height = png_size(out.read_bytes())
    assert max(width, height) > 32767  # the whole picture, 96 pixels an inch


@pytest.mark.parametrize("args, message", [
    (["--rankdir", "TB"], "error: --rankdir goes with --graph"),
    (["--rankdir", "LR", "--sweep", "x=0:1:3"], "error: --rankdir does not go with --sweep"),
])
def test_rankdir_without_a_picture_is_refused_naming_both(args: list[str], message: str) -> None:
    from click.testing import CliRunner

    from gradcli.front.cli import cli

    done = CliRunner().invoke(cli, ["x = 1; y = x * 2", *args])
    assert done.exit_code == 2 and done.stdout == ""
    assert done.stderr.startswith(message)


def test_rankdir_reaches_the_dot_file(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from gradcli.front.cli import cli

    for given, expected in ((["--rankdir", "lr"], "LR"), ([], "TB")):
        out = tmp_path / "g.dot"
        assert CliRunner().invoke(cli, [chain(12), "-g", str(out), *given]).exit_code == 0
        assert rankdir_of(out.read_text()) == expected
