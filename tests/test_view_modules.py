"""Blueprints are assembled one way: a feature's blueprint.py holds its Blueprint and names its view modules,
create_app registers them, and no view module imports another (which is how the import cycles came about)."""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

import console

CONSOLE = Path(console.__file__).parent


def _dotted(path: Path) -> str:
    return ".".join(("console", *path.relative_to(CONSOLE).with_suffix("").parts))


def _view_modules() -> set[str]:
    """Every module with routes: *views.py and api.py, and whatever a blueprint.py names as a view module."""
    found = {_dotted(p) for p in CONSOLE.rglob("*.py") if p.name.endswith("views.py") or p.name == "api.py"}
    for blueprint in CONSOLE.glob("*/blueprint.py"):
        package = _dotted(blueprint.parent)
        found |= {f"{package}.{name}" for name in importlib.import_module(f"{package}.blueprint").VIEW_MODULES}
    return found


def _imported(path: Path) -> set[str]:
    """The modules a file imports, at the top or inside a function; `from pkg import name` counts pkg.name too."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def _path(module: str) -> Path:
    return CONSOLE.joinpath(*module.split(".")[1:]).with_suffix(".py")


def test_no_view_module_imports_another_view_module():
    views = _view_modules()
    assert len(views) > 15  # the walk found the console's route modules
    offenders = {module: sorted(_imported(_path(module)) & (views - {module})) for module in sorted(views)}
    assert {module: found for module, found in offenders.items() if found} == {}


def test_every_route_module_is_named_in_its_features_blueprint():
    """A view module that blueprint.py does not name would never be imported: its routes would silently vanish."""
    for module in _view_modules():
        package, _, name = module.rpartition(".")
        blueprint = importlib.import_module(f"{package}.blueprint")
        assert name in blueprint.VIEW_MODULES, f"{module} is not in {package}.blueprint.VIEW_MODULES"


def test_web_is_a_bottom_layer():
    """console/web holds layout helpers for every feature; it imports no feature (the start page is dashboard/)."""
    features = {p.name for p in CONSOLE.iterdir() if (p / "blueprint.py").exists()}
    for path in (CONSOLE / "web").glob("*.py"):
        reached = {name.split(".")[1] for name in _imported(path) if name.startswith("console.") and "." in name}
        assert not reached & features, f"{path.name} imports {sorted(reached & features)}"


def test_every_feature_blueprint_is_registered(app):
    registered = set(app.blueprints.values())
    for blueprint in CONSOLE.glob("*/blueprint.py"):
        feature = importlib.import_module(f"{_dotted(blueprint.parent)}.blueprint")
        assert set(feature.BLUEPRINTS) <= registered
        assert all(any(rule.endpoint.startswith(f"{bp.name}.") for rule in app.url_map.iter_rules())
                   for bp in feature.BLUEPRINTS), f"{feature.__name__} has a blueprint without routes"
