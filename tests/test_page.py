"""--graph FILE.html: the page that replays the backward pass, read as a file and driven in a real
browser (Debian's headless Chromium through selenium; .ci/run installs both).

Every number the page shows is checked against the command's own JSON (--explain's steps and
the nodes' grads), which the worked example of the README's neuron pins down independently
(x1.grad = -1.5, w1.grad = 1, x2.grad = 0.5, w2.grad = 0).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

SCRIPT = Path(sys.executable).parent / "gradcli"
ROOT = Path(__file__).resolve().parent.parent
NEURON = (ROOT / "examples" / "neuron.grad").read_text(encoding="utf-8")


def gradcli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def page_data(path: Path) -> dict[str, Any]:
    html = path.read_text(encoding="utf-8")
    found = re.search(r'<script type="application/json" id="gradcli-data">(.*?)</script>', html, re.S)
    assert found
    return json.loads(found.group(1))


def test_the_page_holds_everything_and_fetches_nothing(tmp_path: Path) -> None:
    out = tmp_path / "n.html"
    r = gradcli(NEURON, "-g", str(out), "--format", "json")
    assert r.returncode == 0, r.stderr
    html = out.read_text(encoding="utf-8")
    assert "<svg" in html and "</svg>" in html and "<script>" in html
    # no resource from anywhere: the only URLs are the SVG's XML namespaces
    urls = set(re.findall(r"https?://[^\s\"'<>]+", html))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls
    assert not re.search(r"<(script|link|img|iframe)[^>]*\s(src|href)=", html)
    assert "default-src 'none'" in html  # the page may load nothing, even if someone edits it
    data = page_data(out)
    doc = json.loads(r.stdout)
    grads = {n["label"]: n["grad"] for n in doc["nodes"]}
    shown = {n["label"]: float(n["grad"]) for n in data["nodes"].values()}
    assert shown == pytest.approx(grads, abs=5e-5)
    assert (shown["x1"], shown["w1"], shown["x2"], shown["w2"]) == (-1.5, 1.0, 0.5, 0.0)


def test_program_text_cannot_break_out_of_the_page(tmp_path: Path) -> None:
    out = tmp_path / "h.html"
    hostile = "# </script><script>alert(1)</script> <!-- & \u2028\nx = 2; y = x * x"
    r = gradcli(hostile, "-g", str(out))
    assert r.returncode == 0, r.stderr
    html = out.read_text(encoding="utf-8")
    assert "alert(1)</script>" not in html and "<!--" not in html.split("<script type=")[1].split("</script>")[0]
    assert page_data(out)["source"] == hostile  # yet the program is all there, as text


def test_html_takes_the_options_a_picture_takes(tmp_path: Path) -> None:
    out = tmp_path / "p.html"
    r = gradcli("x = 2; y = x * 3", "-g", str(out), "--precision", "2")
    assert r.returncode == 0
    assert page_data(out)["nodes"]["2"]["data"] == "6.00"
    r = gradcli("x = 2; y = x * 3", "-g", str(out), "--sweep", "x=0:1:3")
    assert r.returncode == 2 and "--graph" in r.stderr and "--sweep" in r.stderr and r.stdout == ""


def chain(n: int) -> str:
    """n named values, each from the last through three unnamed ones."""
    lines = ["x0 = 0.5"] + [f"x{i} = sin(x{i - 1}) * 0.9 + x{i - 1} / 3" for i in range(1, n)]
    return "\n".join(lines)


def test_a_folded_picture_steps_through_its_drawn_edges(tmp_path: Path) -> None:
    out = tmp_path / "f.html"
    r = gradcli(chain(40), "-g", str(out), "--max-nodes", "60", "--format", "json")
    assert r.returncode == 0, r.stderr
    data = page_data(out)
    assert data["folded"] and len(data["nodes"]) == 40
    assert all(str(s["target"]) in data["nodes"] for s in data["steps"])
    lit = [name for s in data["steps"] for name in s["edges"]]
    assert lit and all(re.fullmatch(r"n\d+(ton\d+)?->n\d+", name) for name in lit)


# ----- in a browser -------------------------------------------------------------------------------

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (CHROMIUM and DRIVER):
        pytest.fail("the page's tests need Debian's chromium and chromium-driver (.ci/run installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1400,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def shown_grads(driver: Any) -> dict[str, str]:
    """Each record's label -> the grad its picture shows now."""
    return driver.execute_script("""
        const out = {};
        for (const g of document.querySelectorAll('#picture g.node')) {
          const texts = [...g.querySelectorAll('text')].map(t => t.textContent);
          const grad = texts.find(t => t.startsWith('grad '));
          if (grad) out[texts[0]] = grad.slice(5);
        }
        return out;""")


def test_stepping_through_the_backward_pass_shows_explains_numbers(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    out = tmp_path / "n.html"
    explain = json.loads(gradcli(NEURON, "--explain", "--format", "json", "-g", str(out)).stdout)
    labels = [n["label"] for n in explain["nodes"]]
    browser.get(out.as_uri())
    assert browser.get_log("browser") == []  # no script error, nothing refused by the page's policy
    grads = shown_grads(browser)
    assert grads["o"] == "1.0000" and grads["x1"] == "…"  # only the output's gradient is known at the start
    body = browser.find_element(By.TAG_NAME, "body")
    running = {"o": 1.0}
    for k, step in enumerate(explain["steps"], 1):
        body.send_keys(Keys.ARROW_RIGHT)
        target = labels[step["to"]]
        running[target] = step["total"]
        line = browser.find_element(By.ID, "step").text
        assert f"{step['upstream']:.4f} × {step['local']:.4f} = {step['contribution']:.4f}" in line
        assert f"grad {target} now {step['total']:.4f}" in line and step["formula"] in line
        assert browser.find_element(By.ID, "where").text == f"step {k} of {len(explain['steps'])}"
        assert float(shown_grads(browser)[target]) == pytest.approx(step["total"], abs=5e-5)
        lit = browser.find_elements(By.CSS_SELECTOR, "#picture g.edge.lit")
        assert lit, f"step {k} lights no edge"
    final = shown_grads(browser)
    for node in explain["nodes"]:
        assert float(final[node["label"]]) == pytest.approx(node["grad"], abs=5e-5)
    assert (final["x1"], final["w1"], final["x2"], final["w2"]) == ("-1.5000", "1.0000", "0.5000", "0.0000")
    # the slider, Home and the buttons move the same steps
    body.send_keys(Keys.HOME)
    assert shown_grads(browser)["x1"] == "…"
    browser.find_element(By.ID, "last").click()
    assert shown_grads(browser)["x1"] == "-1.5000"
    browser.find_element(By.ID, "first").click()
    browser.find_element(By.ID, "next").click()
    assert browser.find_element(By.ID, "where").text.startswith("step 1 of")


def test_a_value_shows_its_facts_and_its_statement(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    out = tmp_path / "n.html"
    assert gradcli(NEURON, "-g", str(out)).returncode == 0
    browser.get(out.as_uri())
    n_id = next(k for k, v in page_data(out)["nodes"].items() if v["label"] == "n")
    browser.execute_script(
        "[...document.querySelectorAll('#picture g.node')].find(g => g.querySelector('title').textContent"
        " === arguments[0]).dispatchEvent(new MouseEvent('click', {bubbles: true}))", f"n{n_id}")
    panel = browser.find_element(By.ID, "value").text
    assert "op add" in panel and "data 0.8814" in panel and "grad 0.5000" in panel
    assert "∂n/∂b = 1" in panel
    marks = [m.get_attribute("textContent") for m in browser.find_elements(By.CSS_SELECTOR, "#program mark")]
    assert marks == ["n = x1*w1 + x2*w2 + b", "x1*w1 + x2*w2 + b"]


def test_play_runs_to_the_end(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    out = tmp_path / "s.html"
    assert gradcli("a = 2; b = a * a", "-g", str(out)).returncode == 0
    browser.get(out.as_uri())
    browser.find_element(By.ID, "play").click()
    WebDriverWait(browser, 20).until(lambda d: d.find_element(By.ID, "where").text == "step 2 of 2")
    assert shown_grads(browser)["a"] == "4.0000"  # d(a*a)/da = 2a = 4, summed over both edges


def test_a_folded_page_lights_dashed_edges(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    out = tmp_path / "f.html"
    assert gradcli(chain(40), "-g", str(out), "--max-nodes", "60").returncode == 0
    browser.get(out.as_uri())
    assert browser.get_log("browser") == []
    data = page_data(out)
    k = next(i for i, s in enumerate(data["steps"], 1) if s["edges"])
    browser.execute_script("document.getElementById('slider').value = arguments[0];"
                           "document.getElementById('slider').dispatchEvent(new Event('input'))", k)
    assert browser.find_elements(By.CSS_SELECTOR, "#picture g.edge.lit")


def test_the_readme_screenshot(browser: Any, tmp_path: Path) -> None:
    """The page of the README's neuron, four steps in with n selected, as a screenshot;
    GRADCLI_UPDATE_GOLDEN=1 writes it to examples/neuron_page.png, which the README shows."""
    import os

    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    out = tmp_path / "neuron.html"
    assert gradcli("-f", str(ROOT / "examples" / "neuron.grad"), "-g", str(out)).returncode == 0
    browser.set_window_size(1280, 720)
    browser.get(out.as_uri())
    body = browser.find_element(By.TAG_NAME, "body")
    for _ in range(4):
        body.send_keys(Keys.ARROW_RIGHT)
    n_id = next(k for k, v in page_data(out)["nodes"].items() if v["label"] == "x1*w1 + x2*w2")
    browser.execute_script(
        "[...document.querySelectorAll('#picture g.node')].find(g => g.querySelector('title').textContent"
        " === arguments[0]).dispatchEvent(new MouseEvent('click', {bubbles: true}))", f"n{n_id}")
    shot = tmp_path / "neuron_page.png"
    assert browser.save_screenshot(str(shot)) and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("GRADCLI_UPDATE_GOLDEN"):
        shutil.copyfile(shot, ROOT / "examples" / "neuron_page.png")
    assert (ROOT / "examples" / "neuron_page.png").is_file()
