"""Size figures of the package: longest module and function, modules over 400 lines, functions over 80.

Usage: ``python docs/scripts/code_metrics.py [SRC]`` (default ``src/echostrain``). A function's length
runs from its ``def`` line to its last line (docstring included). The last line holds the figures as
``key=value`` pairs.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MODULE_LIMIT = 400
FUNCTION_LIMIT = 80


def measure(root: Path) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(lines, module) and (lines, module:function) for every module and function under ``root``, longest last."""
    modules, functions = [], []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text()
        name = str(path.relative_to(root.parent))
        modules.append((len(text.splitlines()), name))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions.append((node.end_lineno - node.lineno + 1, f"{name}:{node.name}"))
    return sorted(modules), sorted(functions)


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "src/echostrain")
    modules, functions = measure(root)
    big_modules = [m for m in modules if m[0] > MODULE_LIMIT]
    big_functions = [f for f in functions if f[0] > FUNCTION_LIMIT]
    for n, name in big_modules:
        print(f"module over {MODULE_LIMIT}: {name} {n}")
    for n, name in big_functions:
        print(f"function over {FUNCTION_LIMIT}: {name} {n}")
    print(f"longest module: {modules[-1][1]} ({modules[-1][0]} lines); "
          f"longest function: {functions[-1][1]} ({functions[-1][0]} lines)")
    print(f"modules={len(modules)} longest_module_lines={modules[-1][0]} longest_function_lines={functions[-1][0]} "
          f"modules_over_{MODULE_LIMIT}={len(big_modules)} functions_over_{FUNCTION_LIMIT}={len(big_functions)}")


if __name__ == "__main__":
    main()
