"""Build hook: put the LALR parser, generated from grammars/gradcli.lark, into the wheel.

The wheel gets ``gradcli/language/_lalr_tables.py`` (see gradcli/language/_build_tables.py), so an
installed gradcli imports its parser as plain Python data. The module is written to a
private temporary folder and force-included; it is never in the source tree. Editable
installs and sdists get no tables: there gradcli builds the parser from the grammar.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class LalrTablesHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        # loaded by path: gradcli itself (and what it imports) is not installed at build time
        path = os.path.join(self.root, "gradcli", "language", "_build_tables.py")
        spec = importlib.util.spec_from_file_location("_gradcli_build_tables", path)
        assert spec is not None and spec.loader is not None
        build_tables = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(build_tables)
        self._folder = tempfile.mkdtemp(prefix="gradcli-build-")  # mode 0700, a fresh name
        out = os.path.join(self._folder, build_tables.TABLES_MODULE + ".py")
        build_tables.write_tables(os.path.join(self.root, "grammars", "gradcli.lark"), out)
        build_data["force_include"][out] = f"gradcli/language/{build_tables.TABLES_MODULE}.py"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        folder = getattr(self, "_folder", None)
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
