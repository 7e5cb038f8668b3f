"""The wheel carries the default theme, template.yaml and the publish workflow (generator/resources.py).

Everything else is in pyproject.toml; this file only adds that copy to
setuptools' ``build_py``, so that a regular (non-editable) install can
``build``, ``serve`` and ``deploy`` with no repository beside it.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
# generator/resources.py names the same: name in generator/shipped/ → path in the repository
SHIPPED = {"themes": "themes", "template.yaml": "template.yaml", "publish.yml": "docs/examples/publish.yml"}
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo", ".DS_Store")


class build_py_with_resources(build_py):
    def run(self):
        super().run()
        if self.editable_mode:  # an editable install reads them where they are
            return
        target = Path(self.build_lib) / "generator" / "shipped"
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        for name, path in SHIPPED.items():
            source = HERE / path
            if source.is_dir():
                shutil.copytree(source, target / name, ignore=IGNORED)
            else:
                shutil.copy2(source, target / name)


setup(cmdclass={"build_py": build_py_with_resources})
