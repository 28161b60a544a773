"""No file is ever lost or changed unasked: outputs never overwrite the program, and are all or nothing.

Attacked through the installed script in real processes (the program given by
path, symlink, hard link and standard input; failing calls; signals midway) and
through ``gradcli.front.outputs`` directly.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gradcli.errors import GradcliError
from gradcli.front.outputs import OutputFileError, Outputs, file_identity

SCRIPT = Path(sys.executable).parent / "gradcli"
PROGRAM = "x = 2\ny = x * x + 1\n"


def gradcli(*args: str, cwd: Path, stdin: object = None, stdout: object = subprocess.PIPE,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), *args], cwd=cwd, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE,
                          text=True, timeout=60, env={**os.environ, **(env or {})})


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp" in p.name)


# ----- never over the program ----------------------------------------------------------------------
@pytest.mark.parametrize("route", ["same path", "another spelling", "symlink", "symlink chain", "hard link"])
@pytest.mark.parametrize("option", ["-g", "--plot"])
def test_an_output_over_the_program_file_is_refused(route: str, option: str, tmp_path: Path) -> None:
    suffix = ".gv" if option == "-g" else ".svg"
    program = tmp_path / f"prog{suffix}"
    program.write_text(PROGRAM)
    out = {"same path": "prog", "another spelling": "./sub/../prog", "symlink": "link", "symlink chain": "link2",
           "hard link": "hard"}[route] + suffix
    (tmp_path / "sub").mkdir()
    os.symlink(program, tmp_path / f"link{suffix}")
    os.symlink(tmp_path / f"link{suffix}", tmp_path / f"link2{suffix}")
    os.link(program, tmp_path / f"hard{suffix}")
    sweep = ["--sweep", "x=0:1:5"] if option == "--plot" else []
    done = gradcli("-f", program.name, *sweep, option, out, cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == f"error: {'--graph' if option == '-g' else '--plot'} {out} would overwrite the program being read\n"
    assert program.read_text() == PROGRAM and leftovers(tmp_path) == []


@pytest.mark.parametrize("option", ["-g", "--plot"])
def test_an_output_over_the_program_on_standard_input_is_refused(option: str, tmp_path: Path) -> None:
    suffix = ".gv" if option == "-g" else ".svg"
    program = tmp_path / f"p{suffix}"
    program.write_text(PROGRAM)
    os.symlink(program, tmp_path / f"l{suffix}")
    sweep = ["--sweep", "x=0:1:5"] if option == "--plot" else []
    for out in (f"p{suffix}", f"l{suffix}"):
        with open(program) as stdin:
            done = gradcli(*sweep, option, out, cwd=tmp_path, stdin=stdin)
        assert done.returncode == 2 and done.stdout == "" and "would overwrite the program being read" in done.stderr
    assert program.read_text() == PROGRAM and leftovers(tmp_path) == []


def test_a_folder_is_refused_as_an_output(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    for args, message in [(["-g", "out"], "unknown picture format"), (["-g", "out/"], "unknown picture format"),
                          (["--sweep", "x=0:1:3", "--plot", "out/"], "a plot file ends in")]:
        done = gradcli(PROGRAM, *args, cwd=tmp_path)
        assert done.returncode == 2 and message in done.stderr, (args, done.stderr)
    (tmp_path / "pic.svg").mkdir()
    done = gradcli(PROGRAM, "-g", "pic.svg", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr == "error: --graph pic.svg: is a folder; give a file name\n"


# ----- all or nothing ---------------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["full disk", "failed check", "math error", "limit", "closed stdout"])
def test_a_failed_call_writes_no_picture_and_keeps_the_old_one(how: str, tmp_path: Path) -> None:
    old = tmp_path / "old.dot"
    old.write_text("the old picture")
    args, stdout = {
        "full disk": ([PROGRAM], open("/dev/full", "w")),
        "failed check": (["x = 0; y = relu(x)", "--check"], subprocess.PIPE),
        "math error": (["x = 0; y = 1 / x"], subprocess.PIPE),
        "limit": ([PROGRAM, "--check", "--limit", "work=1"], subprocess.PIPE),
        "closed stdout": ([PROGRAM], None),
    }[how]
    for target in ("new.dot", "old.dot"):
        if how == "closed stdout":
            done = subprocess.run(f"'{SCRIPT}' '{args[0]}' -g {target} >&-", shell=True, cwd=tmp_path,
                                  capture_output=True, text=True, timeout=60)
        else:
            done = gradcli(*args, "-g", target, cwd=tmp_path, stdout=stdout)
        assert done.returncode in (1, 2) and done.stderr.startswith("error: "), done.stderr
    assert not (tmp_path / "new.dot").exists()
    assert old.read_text() == "the old picture"
    assert leftovers(tmp_path) == []


def test_a_picture_keeps_the_files_mode_and_writes_through_a_symlink(tmp_path: Path) -> None:
    private = tmp_path / "private.dot"
    private.write_text("old")
    private.chmod(0o600)
    target = tmp_path / "real.dot"
    target.write_text("old")
    target.chmod(0o640)
    os.symlink("real.dot", tmp_path / "link.dot")
    for name in ("private.dot", "link.dot", "fresh.dot"):
        done = gradcli(PROGRAM, "-g", name, "--format", "json", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(private.stat().st_mode) == 0o600 and private.read_text().startswith("digraph")
    assert (tmp_path / "link.dot").is_symlink() and os.readlink(tmp_path / "link.dot") == "real.dot"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640 and target.read_text().startswith("digraph")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "fresh.dot").stat().st_mode) == 0o666 & ~umask
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_call_stopped_midway_leaves_no_temporary_and_no_picture(sig: int, tmp_path: Path) -> None:
    # the picture is staged before the output is printed; a reader that never reads blocks the call there
    program = "x = 1\n" + "\n".join(f"v{i} = x * {i}" for i in range(3000)) + "\ny = v1 + v2\n"
    (tmp_path / "p.grad").write_text(program)
    child = subprocess.Popen([str(SCRIPT), "-f", "p.grad", "-g", "g.dot"], cwd=tmp_path,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not leftovers(tmp_path):
            assert child.poll() is None and time.monotonic() < deadline, "gradcli never staged its picture"
            time.sleep(0.05)
        assert leftovers(tmp_path)[0].startswith(".g.dot.gradcli-")  # a name a user can place
        child.send_signal(sig)
        _, err = child.communicate(timeout=30)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == (130 if sig == signal.SIGINT else 128 + sig), err
    assert leftovers(tmp_path) == [] and not (tmp_path / "g.dot").exists()
    assert b"Traceback" not in err


# ----- gradcli.front.outputs itself -----------------------------------------------------------------------
def test_staged_files_appear_only_on_commit(tmp_path: Path) -> None:
    outputs = Outputs()
    outputs.claim("-g", str(tmp_path / "a.svg"))
    outputs.stage("-g", str(tmp_path / "a.svg"), b"picture")
    assert not (tmp_path / "a.svg").exists() and len(leftovers(tmp_path)) == 1
    outputs.commit()
    assert (tmp_path / "a.svg").read_bytes() == b"picture" and leftovers(tmp_path) == []
    outputs.stage("-g", str(tmp_path / "a.svg"), b"second")
    outputs.discard()
    assert (tmp_path / "a.svg").read_bytes() == b"picture" and leftovers(tmp_path) == []


def test_a_failed_rename_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "g.svg"
    target.write_bytes(b"old")
    outputs = Outputs()
    outputs.stage("-g", str(target), b"new")

    def disk_full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("gradcli.front.outputs.os.replace", disk_full)
    with pytest.raises(OutputFileError, match="cannot write .*g.svg: No space left on device"):
        outputs.commit()
    outputs.discard()
    assert target.read_bytes() == b"old" and leftovers(tmp_path) == []


def test_two_outputs_to_one_file_are_refused(tmp_path: Path) -> None:
    os.symlink("g.svg", tmp_path / "other.svg")
    (tmp_path / "real.svg").write_text("")
    os.link(tmp_path / "real.svg", tmp_path / "hard.svg")
    for first, second in [("g.svg", "g.svg"), ("g.svg", "other.svg"), ("real.svg", "hard.svg"),
                          ("g.svg", "sub/../g.svg")]:
        (tmp_path / "sub").mkdir(exist_ok=True)
        outputs = Outputs()
        outputs.claim("--plot", str(tmp_path / first))
        with pytest.raises(GradcliError, match="would write the same file"):
            outputs.claim("-g", str(tmp_path / second))


def test_claim_refuses_missing_folders_and_the_program(tmp_path: Path) -> None:
    with pytest.raises(GradcliError, match="No such file or directory"):
        Outputs().claim("-g", str(tmp_path / "missing" / "g.svg"))
    program = tmp_path / "p.grad"
    program.write_text(PROGRAM)
    with open(program) as f:
        outputs = Outputs(file_identity(f.fileno()))
    with pytest.raises(GradcliError, match="would overwrite the program"):
        outputs.claim("-g", str(program))
    assert file_identity(os.open(os.devnull, os.O_RDONLY)) is None  # not a regular file: no identity


# ----- what a hostile tester found next -------------------------------------------------------------
def test_a_link_another_user_made_in_a_shared_folder_is_not_followed(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("making a link owned by another user needs root")
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    victim = tmp_path / "secret.txt"
    victim.write_text("secret")
    for name, target in [("pic.svg", victim), ("new.svg", tmp_path / "created.txt")]:
        os.symlink(target, shared / name)
        os.lchown(shared / name, 65534, 65534)  # made by 'nobody'
        done = gradcli("x = 1", "-g", f"shared/{name}", cwd=tmp_path)
        assert done.returncode == 2 and "a symbolic link another user made in a shared folder" in done.stderr
    assert victim.read_text() == "secret" and not (tmp_path / "created.txt").exists()
    os.symlink(tmp_path / "mine.dot", shared / "mine.dot")  # one's own link is followed
    assert gradcli("x = 1", "-g", "shared/mine.dot", cwd=tmp_path).returncode == 0
    assert (tmp_path / "mine.dot").read_text().startswith("digraph")


def test_a_link_swapped_to_the_program_while_gradcli_runs_is_caught(tmp_path: Path) -> None:
    program = tmp_path / "p.grad"
    program.write_text(PROGRAM)
    other = tmp_path / "other.gv"
    link = tmp_path / "out.gv"
    with open(program) as f:
        identity = file_identity(f.fileno())
    for swap_before in ("stage", "commit"):
        link.unlink(missing_ok=True)
        os.symlink(other, link)
        outputs = Outputs(identity)
        outputs.claim("-g", str(link))
        if swap_before == "commit":
            outputs.stage("-g", str(link), b"picture")
        link.unlink()
        os.symlink(program, link)  # the attacker's swap
        with pytest.raises(GradcliError, match="would overwrite the program being read"):
            if swap_before == "stage":
                outputs.stage("-g", str(link), b"picture")
            else:
                outputs.commit()
        outputs.discard()
        assert program.read_text() == PROGRAM and leftovers(tmp_path) == []


def test_only_regular_files_are_written_and_modes_survive(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.svg")
    done = gradcli("x = 1", "-g", "fifo.svg", cwd=tmp_path)
    assert done.returncode == 2 and "not a regular file" in done.stderr
    assert stat.S_ISFIFO(os.stat(tmp_path / "fifo.svg").st_mode)
    os.symlink("/dev/null", tmp_path / "null.dot")
    done = gradcli("x = 1", "-g", "null.dot", cwd=tmp_path)
    assert done.returncode == 2 and "not a regular file" in done.stderr
    special = tmp_path / "special.dot"
    special.write_text("old")
    special.chmod(0o2750)
    assert gradcli("x = 1", "-g", "special.dot", cwd=tmp_path).returncode == 0
    assert stat.S_IMODE(special.stat().st_mode) == 0o2750 and special.read_text().startswith("digraph")


def test_paths_are_taken_as_written(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    done = gradcli("x = 1", "-g", "sub/missing/../g.dot", cwd=tmp_path)
    assert done.returncode == 2 and "No such file or directory" in done.stderr
    assert not (tmp_path / "sub" / "g.dot").exists()
    for args in (["-g", "a.dot", "-g", "b.dot"], ["--of", "x", "--of", "x"], ["--format", "json", "--format", "tree"],
                 ["--order", "2", "--order", "3"], ["--set", "x=1", "--set", "x=2"],
                 ["--limit", "work=5", "--limit", "work=9"]):
        done = gradcli("x = 1", *args, cwd=tmp_path)
        assert done.returncode == 2 and "is given more than once" in done.stderr, done.stderr
    assert not (tmp_path / "a.dot").exists() and not (tmp_path / "b.dot").exists()
