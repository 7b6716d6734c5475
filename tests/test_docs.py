"""The README is the user's manual: it must name every command and option and run as written."""

from __future__ import annotations

import re
from pathlib import Path

import click

from searchkit.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
QUICKSTART_RUN = (
    "python3 -m venv .venv && . .venv/bin/activate && pip install -e . && "
    'searchkit index corpus/ && searchkit query "border security"'
)


def _code_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```[^\n]*\n(.*?)^```", markdown, flags=re.DOTALL | re.MULTILINE)


def _first_code_block_lines() -> list[str]:
    return [line for line in _code_blocks(README)[0].splitlines() if line.strip()]


def _ci_test_command() -> str:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    match = re.search(r"^TEST_COMMAND='(.*)'$", script, flags=re.MULTILINE)
    assert match, ".ci/run no longer defines TEST_COMMAND='...'"
    return match.group(1)


def _documented_options(command: click.Command) -> list[str]:
    help_option_names = set(click.Context(command).help_option_names)
    names: list[str] = []
    for param in command.params:
        if isinstance(param, click.Option):
            flags = [*param.opts, *param.secondary_opts]
            if set(flags) <= help_option_names:
                continue
            names.extend(flags)
    return names


def test_quickstart_is_the_first_section() -> None:
    headings = re.findall(r"^## (.+)$", README, flags=re.MULTILINE)
    assert headings[0] == "Quickstart"


def test_first_code_block_holds_exactly_the_two_quickstart_commands() -> None:
    assert _first_code_block_lines() == [QUICKSTART_RUN, _ci_test_command()]


def test_readme_test_command_is_what_ci_runs() -> None:
    assert _first_code_block_lines()[1] == _ci_test_command()


def test_every_command_is_documented_with_a_heading() -> None:
    assert isinstance(main, click.Group)
    assert main.commands, "the CLI has no commands?"
    for name in main.commands:
        assert f"### `searchkit {name}" in README, f"README has no section for `searchkit {name}`"


def test_every_option_of_every_command_is_in_the_readme() -> None:
    missing = [
        f"searchkit {name} {flag}"
        for name, command in main.commands.items()
        for flag in _documented_options(command)
        if f"`{flag}" not in README
    ]
    missing += [f"searchkit {flag}" for flag in _documented_options(main) if flag not in README]
    assert not missing, f"options missing from README.md: {missing}"


def test_placeholder_sections_exist_for_later_work() -> None:
    headings = re.findall(r"^## (.+)$", README, flags=re.MULTILINE)
    assert "Performance" in headings
    assert "Guarantees" in headings
