"""The typing stubs cover the package, every public name has a docstring,
and the examples of python/README.md and of the package docstring run."""

import ast
import doctest
import inspect
import pathlib
import re

import wasm_run

PYTHON = pathlib.Path(__file__).resolve().parents[1]


def stub_names():
    tree = ast.parse((PYTHON / "wasm_run" / "_native.pyi").read_text())
    names = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names[node.name] = {
                n.name if isinstance(n, ast.FunctionDef) else n.target.id
                for n in node.body
                if isinstance(n, (ast.FunctionDef, ast.AnnAssign))
            }
        elif isinstance(node, ast.FunctionDef):
            names[node.name] = set()
        elif isinstance(node, (ast.AnnAssign, ast.Assign)):
            target = node.target if isinstance(node, ast.AnnAssign) else node.targets[0]
            names[target.id] = set()
    return names


def public_members(cls):
    return {name for name in dir(cls) if not name.startswith("_") and name not in dir(Exception)}


def test_every_public_name_is_in_the_stubs_with_its_members():
    stubs = stub_names()
    for name in wasm_run.__all__:
        obj = getattr(wasm_run, name)
        if inspect.isfunction(obj):
            # Written in Python: typed where it is defined.
            signature = inspect.signature(obj)
            assert signature.return_annotation is not inspect.Signature.empty, name
            for param in signature.parameters.values():
                assert param.annotation is not inspect.Parameter.empty, f"{name}({param.name})"
            continue
        assert name in stubs, f"{name} is missing from _native.pyi"
        if inspect.isclass(obj) and not issubclass(obj, BaseException):
            missing = public_members(obj) - stubs[name]
            assert not missing, f"{name}: {sorted(missing)} missing from _native.pyi"


def test_every_public_name_has_a_docstring():
    for name in wasm_run.__all__:
        obj = getattr(wasm_run, name)
        if name == "BACKENDS":
            continue
        assert (obj.__doc__ or "").strip(), f"{name} has no docstring"
        if inspect.isclass(obj) and not issubclass(obj, BaseException):
            for member in public_members(obj):
                doc = getattr(obj, member).__doc__
                assert (doc or "").strip(), f"{name}.{member} has no docstring"


def test_the_readme_examples_run():
    readme = (PYTHON / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})


def test_the_package_docstring_runs():
    failures, tried = doctest.testmod(wasm_run)
    assert tried > 0 and failures == 0
