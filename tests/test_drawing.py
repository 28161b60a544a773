"""Pictures: DOT labels and edges, escaping, SVG from both renderers, atomic writes."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gradcli import Value, evaluate
from gradcli.drawing import TIDY_NODES, GraphError, digraph, picture, picture_format, record_escape, render, write_atomic
from gradcli.errors import GradcliError

SEED = "a = 2; b = a + 3; c = a * 2; d = b + c"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def seed_dot() -> str:
    r = evaluate(SEED)
    return digraph(r.nodes, r.output).source


def test_records_hold_label_data_and_grad() -> None:
    source = seed_dot()
    for label in ["{ a | data 2.0000 | grad 3.0000 }", "{ 3 | data 3.0000 | grad 1.0000 }",
                  "{ b | data 5.0000 | grad 1.0000 }", "{ d | data 9.0000 | grad 1.0000 }"]:
        assert label in source
    assert source.count("shape=record") == 6
    assert source.count("shape=circle") == 3  # one op node per op
    assert "rankdir=LR" in source


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

    assert "{ x | data 3.0000 | grad" in digraph(topological_order(y), y).source


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


def test_png_without_dot_says_what_it_needs() -> None:
    with pytest.raises(GraphError, match="PNG pictures need Graphviz installed"):
        render(seed_dot(), "png", renderer="embedded")


def test_formats_from_extension() -> None:
    assert [picture_format(p) for p in ["g.svg", "g.PNG", "g.pdf", "g.dot", "g.gv"]] == ["svg", "png", "pdf", "dot", "dot"]
    with pytest.raises(GradcliError, match="unknown picture format '.jpg'"):
        picture_format("g.jpg")
    with pytest.raises(GradcliError, match="unknown picture format ''"):
        picture_format("graph")


def test_write_atomic_replaces_whole_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "g.svg"
    target.write_bytes(b"old")
    write_atomic(target, b"new picture")
    assert target.read_bytes() == b"new picture"
    assert [p.name for p in tmp_path.iterdir()] == ["g.svg"]


def test_write_atomic_failure_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(GradcliError, match="cannot write .*missing.*: No such file or directory"):
        write_atomic(tmp_path / "missing" / "g.svg", b"x")
    target = tmp_path / "g.svg"
    target.write_bytes(b"old")

    def disk_full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("gradcli.drawing.os.replace", disk_full)
    with pytest.raises(GradcliError, match="No space left on device"):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["g.svg"]  # the temporary is gone


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
    assert len(big.nodes) > TIDY_NODES and "nslimit=1" in digraph(big.nodes, big.output).source


@needs_dot
def test_big_long_range_picture_has_every_value() -> None:
    r = evaluate(long_range_program(300))
    texts = svg_texts(parse_svg(render(picture(r, "svg").source, "svg", renderer="dot")))
    assert all(f"v{i}" in texts for i in range(300))


def test_dot_files_are_never_folded() -> None:
    r = evaluate(WIDE)
    assert picture(r, "dot", max_nodes=10).source == digraph(r.nodes, r.output).source


def test_too_many_named_values_is_an_error_that_says_what_to_do() -> None:
    with pytest.raises(GradcliError, match=r"raise --max-nodes, or write a \.dot file"):
        picture(evaluate(WIDE), "svg", max_nodes=10)


def test_embedded_render_stops_at_the_timeout() -> None:
    source = picture(evaluate(WIDE), "svg").source
    with pytest.raises(GraphError, match="took longer than 0.01 s"):
        render(source, "svg", renderer="embedded", timeout=0.01)


@needs_dot
def test_system_render_stops_at_the_timeout() -> None:
    source = picture(evaluate(WIDE), "svg").source
    with pytest.raises(GraphError, match="took longer than 0.01 s"):
        render(source, "svg", renderer="dot", timeout=0.01)


def test_embedded_failure_is_reported() -> None:
    with pytest.raises(GraphError, match="the embedded Graphviz failed"):
        render("digraph { this is not dot", "svg", renderer="embedded")
