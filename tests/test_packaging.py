"""The package metadata is in the form current build tools read without warnings."""

import re
import tomllib
from pathlib import Path

PYPROJECT = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())


def test_the_license_is_an_spdx_expression():
    """`project.license` is a plain SPDX string, not the deprecated table."""
    assert PYPROJECT["project"]["license"] == "MIT"


def test_the_build_requires_a_setuptools_that_reads_spdx_licenses():
    """The build asks for a setuptools that reads a string `license` (77 or newer)."""
    (setuptools,) = [
        requirement
        for requirement in PYPROJECT["build-system"]["requires"]
        if requirement.startswith("setuptools")
    ]
    match = re.fullmatch(r"setuptools>=(\d+)(?:\.\d+)*", setuptools)
    assert match, setuptools
    assert int(match.group(1)) >= 77
